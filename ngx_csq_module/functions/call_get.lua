-- flags: no-writes
-- GET tenants/<t>/calls/<id> (R7.2): a call record, with its customer
-- (or null: an unknown number); for its agent, a supervisor, or an agent
-- who may see its customer

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local c = CALL.get(ID)
if c == nil then return fail(404, 'not_found', 'no such call') end
local cust = (c.customer or '') ~= '' and CUST.get(c.customer)
if (ROLES[ROLE] or 0) < ROLES.supervisor and c.agent ~= ACTOR
   and not (cust and CUST.visible(cust)) then
    return fail(404, 'not_found', 'no such call')
end
local v = CALL.view(c)
v.customer_record = cust and CUST.view(cust) or cjson.null
return reply(200, v)
