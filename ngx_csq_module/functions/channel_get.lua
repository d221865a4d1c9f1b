-- flags: no-writes
-- GET tenants/<t>/channels/<id> (admin): the channel; with EXTRA 'key'
-- (GET channels/<id>/key) r[3] is its key's generation, and nginx answers
-- with the key itself, which it derives and Redis never holds

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local ch = CH.get(ID)
if ch == nil then return fail(404, 'not_found', 'no such channel') end

local r = reply(200, CH.view(ch))
if EXTRA == 'key' then
    r[3] = tostring(ch.generation or 1)
end
return r
