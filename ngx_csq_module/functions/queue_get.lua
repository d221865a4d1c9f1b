-- flags: no-writes
-- GET tenants/<t>/queues/<id>: a queue, its agents and who waits (agent)

local q = hash(key('q', ID))
if q == nil then return fail(404, 'not_found', 'no such queue') end

local agents = {}
for _, a in ipairs(queue_agents(ID)) do
    agents[#agents + 1] = { id = a.id, status = a.status,
                            reception = a.reception ~= '0',
                            load = num(a.load, 0),
                            capacity = num(a.capacity, 0) }
end

local waiting = redis.call('ZRANGE', key('q', ID, 'wait'), 0, -1)

return reply(200, {
    id = ID, name = q.name, strategy = q.strategy, mode = q.mode,
    max_length = tonumber(q.max_length), queued_text = q.queued_text,
    out_of_hours_text = q.out_of_hours_text or '',
    sticky_wait = q.sticky_wait == '1',
    schedule = (q.schedule or '') ~= '' and cjson.decode(q.schedule) or cjson.null,
    agents = arr(agents),
    waiting = arr(waiting) })
