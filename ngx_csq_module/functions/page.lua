-- flags: no-writes
-- A tenant's page (chat, widget, workbench; ID: its file) is asked for:
-- is the tenant there, and which sites may embed it (R1.3)?  The widget's
-- script only for a page of a listed site (ORIGIN: its Referer's origin).
-- Returns { 200, "<origin> <origin> ..." ('' any) }, { 403, error } or
-- { 404, error }.

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local t = hash(KEYS[1])
if ID == 'widget.js' and not origin_ok(t) then
    return fail(403, 'origin_not_allowed',
                'this site may not embed the chat widget')
end

local origins = {}
for i, o in ipairs(cjson.decode(t.origins or '[]')) do
    origins[i] = origin_of(o)
end
return { 200, table.concat(origins, ' ') }
