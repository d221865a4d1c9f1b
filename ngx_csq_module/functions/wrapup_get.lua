-- flags: no-writes
-- GET tenants/<t>/wrapup: the tenant's topics, statuses and service note
-- fields (agent, R4.6)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local w = wrapup_conf()
return reply(200, { topics = arr(w.topics), statuses = arr(w.statuses),
                    note_fields = arr(w.note_fields) })
