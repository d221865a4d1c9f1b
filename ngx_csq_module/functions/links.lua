-- flags: no-writes
-- GET tenants/<t>/links: every live link with its figures (admin, R8.1);
-- GET tenants/<t>/links/export: the same as CSV (EXTRA 'csv')

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local ids = redis.call('SMEMBERS', key('links'))
table.sort(ids)

local list = {}
for _, id in ipairs(ids) do
    list[#list + 1] = link_view(id, hash(key('link', id)))
end

if EXTRA ~= 'csv' then
    return reply(200, { links = arr(list) })
end

local out = { csv_line({ 'id', 'name', 'queue', 'visitors', 'visitors_today',
                         'visits', 'customers', 'created' }) }
for _, l in ipairs(list) do
    out[#out + 1] = csv_line({ l.id, l.name, l.queue, l.visitors,
                               l.visitors_today, l.visits, l.customers,
                               l.created })
end
return { 200, table.concat(out) }
