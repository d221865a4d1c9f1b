-- flags: no-writes
-- POST tenants/<t>/login: what nginx needs to check a password (R9.2).
-- body: { agent, password }; EXTRA: the client's address.
-- Returns { 200, '', role, stored hash, known (1 or 0) }: an unknown
-- agent gets a hash that matches no password, so that nginx does the same
-- work for it as for a known one (no timing tells which agents exist);
-- or, while the address or the agent is locked after failures
-- (login_failed), { 429, error, seconds to wait }.

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
if not valid_id(b.agent) then return bad('agent', 'must be an agent id') end
if type(b.password) ~= 'string' then return bad('password', 'must be a string') end

local wait = math.max(redis.call('PTTL', key('lock', 'ip', EXTRA or '')),
                      redis.call('PTTL', key('lock', 'a', b.agent)))
if wait > 0 then
    local r = fail(429, 'rate_limited',
                   'too many failed logins: try again later')
    r[3] = math.ceil(wait / 1000)
    return r
end

local a = tenant_exists() and agent(b.agent) or nil
if a == nil or (a.password or '') == '' then
    -- 20,000 rounds, as every stored hash (ngx_csq_auth.c)
    return { 200, '', 'agent',
             'pbkdf2-sha256$20000$AAAAAAAAAAAAAAAAAAAAAA$'
             .. 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 0 }
end

return { 200, '', a.role or 'agent', a.password, 1 }
