// Setup of bench/relay.sh, through the csq API: the tenant "bench", one
// round-robin queue, <pairs> agents, and one conversation per agent.
//
//   node relay-setup.js <http base> <secret> <pairs>  > plan
//
// prints "<conversation> <customer token> <agent> <agent token>" lines,
// what relay-load.c opens its sockets with.
'use strict';

const { token, api, parallel } = require('./csq');

const TENANT = 'bench';
const [base, secret, n] = process.argv.slice(2);

async function main() {
    const plat = token(secret, '*', '', 'platform');
    await api(base, 'PUT', `tenants/${TENANT}`, {}, plat);
    await api(base, 'PUT', `tenants/${TENANT}/queues/q`,
              { strategy: 'round-robin' }, plat);
    await parallel(Number(n), 16, async (i) => {
        await api(base, 'PUT', `tenants/${TENANT}/agents/a${i}`,
                  { queues: ['q'], capacity: 100, password: 'password1' },
                  plat);
        await api(base, 'POST', `tenants/${TENANT}/agents/a${i}/status`,
                  { status: 'online' }, plat);
    });
    // one after the other: round-robin gives each agent one conversation
    for (let i = 0; i < Number(n); i++) {
        const c = await api(base, 'POST', `tenants/${TENANT}/conversations`,
                            { customer: `u${i}`, queue: 'q' });
        if (!c.agent) {
            throw new Error('not assigned: ' + JSON.stringify(c));
        }
        // an agent's token names a login session (R9.5)
        const login = await api(base, 'POST', `tenants/${TENANT}/login`,
                                { agent: c.agent.id,
                                  password: 'password1' });
        console.log(c.id, c.customer_token, c.agent.id, login.token);
    }
}

main().catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
});
