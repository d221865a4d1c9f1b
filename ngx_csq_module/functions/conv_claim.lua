-- flags: none
-- POST tenants/<t>/conversations/<id>/claim: an agent takes a waiting
-- conversation of one of its queues (pick-up mode, R3.7).  Of two claims
-- at once exactly one wins: the other finds it taken (409).

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end

local a = agent(ACTOR)
if a == nil then return fail(403, 'forbidden', 'only an agent can claim') end

if c.state ~= 'queued' or (c.bound and c.bound ~= '' and c.bound ~= ACTOR) then
    return fail(409, 'conflict', 'the conversation is not waiting to be claimed')
end
if redis.call('SISMEMBER', key('a', ACTOR, 'queues'), c.queue) == 0
   and c.bound ~= ACTOR then
    return fail(403, 'forbidden', 'not a queue of yours')
end
if c.bound ~= ACTOR then
    local q = hash(key('q', c.queue))
    if q then
        sync_duty(c.queue, q)
    end
    if q == nil or not on_duty(c.queue, q, ACTOR) then
        return fail(409, 'out_of_hours',
                    'the queue is out of hours, or you are not on duty')
    end
end
if a.status == 'offline' or num(a.load, 0) >= num(a.capacity, 0) then
    return fail(409, 'agent_unavailable', 'you are offline or full')
end

assign(ID, c, a, 'claimed')

return reply(200, conversation_view(ID, hash(key('c', ID))))
