-- flags: no-writes
-- GET tenants/<t>/figures: the supervisor's live figures (R8.2, R8.3),
-- "today" in the tenant's time zone.  Per queue: waiting now, the longest
-- wait now (of the first 100 in line), today's arrivals, assigned,
-- abandoned and their rate, average wait, average first response, the
-- service level (answered within its sl_seconds, 20) and rating.  Per
-- agent: status, load, capacity and today's figures (agent_get.lua).

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local queues = {}
for _, qid in ipairs(redis.call('SMEMBERS', key('queues'))) do
    local q = hash(key('q', qid))
    if q then
        local d = hash(today(qid, 'q')) or {}
        local waiting = redis.call('ZCARD', key('q', qid, 'wait'))
        local longest = 0
        for _, cid in ipairs(redis.call('ZRANGE', key('q', qid, 'wait'),
                                        0, 99)) do
            local created = tonumber(redis.call('HGET', key('c', cid),
                                                'created'))
            if created then longest = math.max(longest, NOW - created) end
        end
        local arrived, assigned = num(d.arrived, 0), num(d.assigned, 0)
        local abandoned = num(d.abandoned, 0)
        local f = day_figures({ fr_ms = d.fr_ms, fr_n = d.fr_n,
                                rating_sum = d.rating_sum,
                                rating_n = d.rating_n })
        queues[#queues + 1] = {
            id = qid, name = q.name or qid, waiting = waiting,
            longest_wait_ms = longest, arrived = arrived,
            assigned = assigned, abandoned = abandoned,
            abandoned_rate = arrived > 0
                and math.floor(abandoned * 1000 / arrived + 0.5) / 1000
                or cjson.null,
            average_wait_ms = assigned > 0
                and math.floor(num(d.wait_ms, 0) / assigned + 0.5)
                or cjson.null,
            first_response_ms = f.first_response_ms,
            sl_seconds = num(q.sl_seconds, 20),
            service_level = assigned > 0
                and math.floor(num(d.within_sl, 0) * 1000 / assigned + 0.5)
                    / 1000
                or cjson.null,
            rating = f.rating, ratings = f.ratings }
    end
end
table.sort(queues, function(x, y) return x.id < y.id end)

local agents = {}
for _, aid in ipairs(redis.call('SMEMBERS', key('agents'))) do
    local a = agent(aid)
    if a then
        agents[#agents + 1] = {
            id = aid, name = a.name or aid, status = a.status or 'offline',
            load = num(a.load, 0), capacity = num(a.capacity, 0),
            today = day_figures(hash(today(aid)) or {}) }
    end
end
table.sort(agents, function(x, y) return x.id < y.id end)

return reply(200, { queues = arr(queues), agents = arr(agents) })
