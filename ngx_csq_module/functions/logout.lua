-- flags: allow-oom
-- R9.5: POST tenants/<t>/logout (EXTRA "one": the caller's session),
-- POST tenants/<t>/logout-all ("all": every session of the caller) and
-- POST tenants/<t>/agents/<id>/logout ("all" of agent ID: an admin, or
-- the agent itself).  Their sockets close (1008) on every node.
-- Returns { 200, { agent, ended } }.

if ROLE == 'platform' and ID == '' then
    return fail(400, 'no_session', 'a platform token has no session: '
                .. 'raise csq_platform_generation to revoke it')
end

local aid = ID ~= '' and ID or ACTOR
if redis.call('EXISTS', key('a', aid)) == 0 then
    return fail(404, 'not_found', 'no such agent')
end

local ended = session_end(aid, EXTRA == 'one' and SESSION or nil)

event('logout', { agent = aid, by = ACTOR,
                  sessions = EXTRA == 'one' and 'one' or 'all' })

return reply(200, { agent = aid, ended = ended })
