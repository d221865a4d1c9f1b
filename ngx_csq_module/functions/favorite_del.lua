-- flags: none
-- DELETE tenants/<t>/favorites/<c>: no longer one of the caller's stars

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local id = CUST.id(ID)
if redis.call('HDEL', key('a', ACTOR, 'fav'), id) == 0 then
    return fail(404, 'not_found', 'not one of your favorites')
end
redis.call('SREM', key('cust', id, 'fans'), ACTOR)
return reply(200, { customer = id, favorite = false })
