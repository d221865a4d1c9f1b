-- flags: no-writes
-- GET tenants/<t>/customers/<c>: a customer's profile (R6.1), by any of
-- its contact ids, with its conversation count, the caller's favorite
-- and its newest 20 notes; an agent sees the customers it may
-- (lib/customers.lua)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local c = CUST.get(CUST.id(ID))
if c == nil then return fail(404, 'not_found', 'no such customer') end
if not CUST.visible(c) then return CUST.hidden() end

return reply(200, CUST.view(c, true))
