-- GET tenants/<t>/agents/<id>/conversations: its active conversations and
-- the ones waiting for it alone (the agent itself, or a supervisor)

local a = agent(ID)
if a == nil then return fail(404, 'not_found', 'no such agent') end

local active, waiting = {}, {}
local ids = redis.call('SMEMBERS', key('a', ID, 'convs'))
table.sort(ids)
for _, cid in ipairs(ids) do
    active[#active + 1] = conversation_view(cid, hash(key('c', cid)))
end
for _, cid in ipairs(redis.call('ZRANGE', key('a', ID, 'wait'), 0, -1)) do
    waiting[#waiting + 1] = conversation_view(cid, hash(key('c', cid)))
end

return reply(200, { agent = ID, active = arr(active), waiting = arr(waiting) })
