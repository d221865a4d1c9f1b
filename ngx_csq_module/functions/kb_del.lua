-- flags: none
-- DELETE tenants/<t>/kb/<id>: an article goes (supervisor)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
if redis.call('HDEL', key('kb', 'r'), ID) == 0 then
    return fail(404, 'not_found', 'no such article')
end
redis.call('ZREM', key('kb'), ID)
redis.call('ZREM', key('kb', 'ext'), ID)
return reply(200, { id = ID, deleted = true })
