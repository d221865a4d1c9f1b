-- flags: no-writes
-- A socket asks to open (before the 101, R5.1): is the tenant there, is
-- the page's Origin allowed (R1.3), is the conversation the customer's or
-- the agent known?  Returns { 200, '', channel, ... }: what to listen on.
-- ID: the conversation (customer) or ''; ARGV[7]: the page's Origin

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

if not origin_ok(hash(KEYS[1])) then return origin_refused() end

if ROLE == 'customer' then
    local c = hash(key('c', ID))
    if c == nil then return fail(404, 'not_found', 'no such conversation') end
    if not customer_owns(ID, c) then
        return fail(403, 'forbidden', 'not your conversation')
    end
    return { 200, '', chan('c', ID) }
end

if redis.call('EXISTS', key('a', ACTOR)) == 0 then
    return fail(404, 'not_found', 'no such agent')
end

local r = { 200, '', chan('a', ACTOR) }
local qs
if ROLES[ROLE] >= ROLES.supervisor then
    -- the monitor's changes of any agent (live.lua), and every queue
    r[#r + 1] = chan('s', 'team')
    qs = redis.call('SMEMBERS', key('queues'))
else
    qs = redis.call('SMEMBERS', key('a', ACTOR, 'queues'))
end
table.sort(qs)
for _, q in ipairs(qs) do
    r[#r + 1] = chan('q', q)
end
return r
