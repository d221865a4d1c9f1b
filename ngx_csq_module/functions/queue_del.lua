-- flags: allow-oom
-- DELETE tenants/<t>/queues/<id> (admin): only an empty queue goes

local q = hash(key('q', ID))
if q == nil then return fail(404, 'not_found', 'no such queue') end

if redis.call('ZCARD', key('q', ID, 'wait')) > 0 then
    return fail(409, 'conflict', 'conversations are waiting in this queue')
end

for _, aid in ipairs(redis.call('ZRANGE', key('q', ID, 'agents'), 0, -1)) do
    redis.call('SREM', key('a', aid, 'queues'), ID)
end
redis.call('DEL', key('q', ID), key('q', ID, 'agents'), key('q', ID, 'wait'),
           key('q', ID, 'given'), key('q', ID, 'ix'), key('q', ID, 'sx'),
           key('q', ID, 'cls'), key('q', ID, 'n'), key('q', ID, 'duty'))
redis.call('SREM', key('queues'), ID)

local t = hash(KEYS[1])
if t.fallback_queue == ID then
    redis.call('HDEL', KEYS[1], 'fallback_queue')
end

event('queue_deleted', { queue = ID })

return reply(200, { id = ID, deleted = true })
