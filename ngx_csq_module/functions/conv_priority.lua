-- flags: none
-- POST tenants/<t>/conversations/<id>/priority: { priority: 0-9 }, a
-- supervisor moves a waiting conversation up or down (R3.8)

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
local prio, e = opt_int(b, 'priority', 0, 9)
if e or prio == nil then return bad('priority', e or 'is required') end

if ended(c) then return fail(409, 'conflict', 'the conversation has ended') end

redis.call('HSET', key('c', ID), 'priority', prio)
c.priority = prio

if c.state == 'queued' then
    local where = c.bound and c.bound ~= '' and key('a', c.bound, 'wait')
                  or key('q', c.queue, 'wait')
    redis.call('ZADD', where, 'XX', wait_score(c, ID), ID)
end

event('priority', { conversation = ID, priority = prio })

return reply(200, conversation_view(ID, hash(key('c', ID))))
