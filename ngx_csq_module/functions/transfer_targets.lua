-- flags: no-writes
-- GET tenants/<t>/conversations/<id>/targets: where its agent (or a
-- supervisor) may transfer it (R4.4): every agent of the tenant but its
-- own, with status, load, capacity and whether it can take it now (on
-- duty with room), those that can first, the least loaded first; every
-- queue with how many wait in it

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end
if not own_or_supervisor(c) then
    return fail(403, 'forbidden', 'not your conversation')
end

local agents = {}
for _, aid in ipairs(redis.call('SMEMBERS', key('agents'))) do
    local a = agent(aid)
    if a and aid ~= c.agent then
        agents[#agents + 1] = { id = aid, name = a.name or aid,
                                status = a.status or 'offline',
                                load = num(a.load, 0),
                                capacity = num(a.capacity, 0),
                                can_take = has_room(a) }
    end
end
table.sort(agents, function(x, y)
    if x.can_take ~= y.can_take then return x.can_take end
    if x.load ~= y.load then return x.load < y.load end
    return x.id < y.id
end)

local queues = {}
for _, qid in ipairs(redis.call('SMEMBERS', key('queues'))) do
    local q = hash(key('q', qid))
    if q then
        queues[#queues + 1] = { id = qid, name = q.name or qid,
                                waiting = redis.call('ZCARD',
                                                     key('q', qid, 'wait')) }
    end
end
table.sort(queues, function(x, y) return x.id < y.id end)
return reply(200, { agents = arr(agents), queues = arr(queues) })
