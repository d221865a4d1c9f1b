-- flags: no-writes
-- GET tenants/<t>/customer-fields: the tenant's business fields (agent)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local _, list = CUST.field_defs()
return reply(200, { fields = arr(list) })
