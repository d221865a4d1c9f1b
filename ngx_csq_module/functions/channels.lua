-- flags: no-writes
-- GET tenants/<t>/channels (admin): every channel of the tenant, by id

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local ids = redis.call('SMEMBERS', key('chs'))
table.sort(ids)
local list = {}
for _, id in ipairs(ids) do
    list[#list + 1] = CH.view(CH.get(id))
end
return reply(200, { channels = arr(list) })
