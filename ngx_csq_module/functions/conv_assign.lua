-- flags: none
-- POST tenants/<t>/conversations/<id>/assign: a supervisor gives a waiting
-- conversation to any agent, over any affinity (R3.8); body: { agent }
-- The agent must not be offline and must have room: capacity holds.

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
if not valid_id(b.agent) then return bad('agent', 'must be an agent id') end

local a = agent(b.agent)
if a == nil then return fail(404, 'not_found', 'no such agent: ' .. b.agent) end

if c.state ~= 'queued' and c.state ~= 'bot' then
    return fail(409, 'conflict', 'the conversation is not waiting')
end
if a.status == 'offline' or num(a.load, 0) >= num(a.capacity, 0) then
    return fail(409, 'agent_unavailable', 'that agent is offline or full')
end

unqueue(ID, c)
c.bound = nil
redis.call('HDEL', key('c', ID), 'bound')
assign(ID, c, a, 'supervisor')

return reply(200, conversation_view(ID, hash(key('c', ID))))
