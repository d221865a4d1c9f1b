-- flags: none
-- DELETE tenants/<t>/quick-replies/team/<id> (supervisor), .../mine/<id>:
-- a quick reply goes (EXTRA: the scope)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
if not QR.may(EXTRA) then
    return fail(403, 'forbidden', 'the team\'s replies are a supervisor\'s')
end
local ok, rk = QR.keys(EXTRA)
if redis.call('HDEL', rk, ID) == 0 then
    return fail(404, 'not_found', 'no such quick reply')
end
redis.call('ZREM', ok, ID)
return reply(200, { id = ID, deleted = true })
