-- flags: none
-- A login whose password nginx checked (R9.5): a session for the agent ID.
-- EXTRA: "<session> <expires, unix ms>"; ARGV[5]: the stored hash the
-- password was checked against (a password changed meanwhile fails).
-- Expired sessions go; past SESSIONS_MAX the one that would end first.
-- Returns { 200, '', role }: the agent's role now; or 401.

local sid, ends = string.match(EXTRA or '', '^([%w_%-]+) (%d+)$')
if sid == nil then return bad('extra', 'must be "<session> <expires>"') end

local a = tenant_exists() and redis.call('HMGET', key('a', ID), 'password',
                                         'role') or {}
if a[1] == false or a[1] == nil or a[1] ~= ARGV[5] then
    return fail(401, 'bad_credentials', 'unknown agent or wrong password')
end

local k = key('a', ID, 'sessions')
redis.call('ZREMRANGEBYSCORE', k, '-inf', NOW)
redis.call('ZADD', k, ends, sid)
local over = redis.call('ZCARD', k) - SESSIONS_MAX
if over > 0 then
    for _, old in ipairs(redis.call('ZRANGE', k, 0, over - 1)) do
        session_end(ID, old)
    end
end
local last = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', k, last[2])

return { 200, '', a[2] or 'agent' }
