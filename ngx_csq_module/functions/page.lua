-- flags: no-writes
-- A tenant's page (chat, widget, workbench) is asked for: is the tenant
-- there, and which sites may embed it (R1.3)?
-- Returns { 200, "<origin> <origin> ..." ('' any) } or { 404, error }.

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local origins = cjson.decode(redis.call('HGET', KEYS[1], 'origins') or '[]')
return { 200, table.concat(origins, ' ') }
