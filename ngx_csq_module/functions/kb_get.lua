-- flags: no-writes
-- GET tenants/<t>/kb/<id>: an article, whole (agents); EXTRA 'public'
-- (GET .../kb/public/<id>): an external one, for anyone the tenant's
-- origins let in (an internal one is 404 there)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local public = EXTRA == 'public'
if public and not origin_ok(hash(KEYS[1])) then return origin_refused() end
local a = KB.get(ID)
if a == nil or (public and not a.external) then
    return fail(404, 'not_found', 'no such article')
end
return reply(200, a)
