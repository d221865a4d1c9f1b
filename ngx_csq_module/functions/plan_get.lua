-- flags: no-writes
-- GET tenants/<t>/plans/<id>: a contact plan (R7.4) its assignee, its
-- maker or a supervisor may see.  -> the plan

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local p = FU.plan(ID)
if p == nil or not FU.plan_visible(p) then
    return fail(404, 'not_found', 'no such contact plan')
end
return reply(200, FU.plan_view(p))
