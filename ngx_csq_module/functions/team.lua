-- flags: no-writes
-- GET tenants/<t>/agents: every agent's status (and since when), load and
-- today's counts (supervisor, R2.5, R8.3)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local list = {}
local aids = redis.call('SMEMBERS', key('agents'))
table.sort(aids)

for _, aid in ipairs(aids) do
    local a = agent(aid)
    local d = hash(today(aid)) or {}
    local away = { suspended = num(d.suspended_ms, 0),
                   offline = num(d.offline_ms, 0) }
    -- the current stretch counts too
    if a.status == 'suspended' or a.status == 'offline' then
        away[a.status] = away[a.status]
                         + math.max(0, NOW - num(a.status_since, NOW))
    end
    list[#list + 1] = { id = aid, name = a.name, status = a.status,
                        reception = a.reception ~= '0',
                        load = num(a.load, 0),
                        capacity = num(a.capacity, 0),
                        status_since = num(a.status_since, cjson.null),
                        extension = a.extension or '',
                        today = { taken = num(d.taken, 0),
                                  suspended_ms = away.suspended,
                                  offline_ms = away.offline } }
end

return reply(200, { agents = arr(list) })
