-- flags: none
-- PUT tenants/<t>/sms-templates/<id> (supervisor, R7.3): an SMS template,
-- { name (1-100), text (1-1,000 bytes; {{name}}, {{phone}}, {{agent}} and
-- any other {{variable}} are filled in when it is sent) }.  At most 200.

local b, err = put_prologue()
if err then return err end
local f
f, err = fields(b, { { 'name', 'string', 100 }, { 'text', 'string', 1000 } })
if err then return err end
local k = key('sms', 'tpl', ID)
local old = hash(k)
if old == nil then
    if (f.text or '') == '' then
        return bad('text', 'is required')
    end
    if redis.call('SCARD', key('sms', 'tpls')) >= CALL.TPL_MAX then
        return fail(409, 'too_many_templates',
                    'a tenant has at most ' .. CALL.TPL_MAX .. ' templates')
    end
    redis.call('SADD', key('sms', 'tpls'), ID)
    redis.call('HSET', k, 'id', ID, 'name', ID, 'created', NOW)
elseif f.text == '' then
    return bad('text', 'must not be empty')
end
hset_given(k, f)
local t = hash(k)
return reply(old and 200 or 201, { id = ID, name = t.name, text = t.text })
