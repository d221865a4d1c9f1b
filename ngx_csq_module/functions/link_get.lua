-- flags: no-writes
-- GET tenants/<t>/links/<id>: a link and its figures (admin, R8.1)

local l = hash(key('link', ID))
if l == nil then return fail(404, 'not_found', 'no such link') end
return reply(200, link_view(ID, l))
