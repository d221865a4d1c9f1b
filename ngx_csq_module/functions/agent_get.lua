-- flags: no-writes
-- GET tenants/<t>/agents/<id>: an agent, its load and today's figures
-- (agent; R8.2: taken, ended, average first response and handling time,
-- its rating; "today" in the tenant's time zone)

local a = agent(ID)
if a == nil then return fail(404, 'not_found', 'no such agent') end

local qs = redis.call('SMEMBERS', key('a', ID, 'queues'))
table.sort(qs)
local d = hash(today(ID)) or {}

return reply(200, {
    id = ID, name = a.name, avatar = a.avatar, role = a.role,
    capacity = num(a.capacity, 0), weight = num(a.weight, 1),
    order = num(a.order, 0), status = a.status,
    reception = a.reception ~= '0', load = num(a.load, 0),
    queues = arr(qs), extension = a.extension or '',
    today = day_figures(d) })
