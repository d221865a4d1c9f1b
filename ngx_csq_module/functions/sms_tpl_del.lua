-- flags: none
-- DELETE tenants/<t>/sms-templates/<id> (supervisor, R7.3)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
if not valid_id(ID) or redis.call('SREM', key('sms', 'tpls'), ID) == 0 then
    return fail(404, 'not_found', 'no such template')
end
redis.call('UNLINK', key('sms', 'tpl', ID))
return reply(200, { id = ID, deleted = true })
