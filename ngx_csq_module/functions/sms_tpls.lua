-- flags: no-writes
-- GET tenants/<t>/sms-templates (agent, R7.3): the templates, by id

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local ids = redis.call('SMEMBERS', key('sms', 'tpls'))
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do
    local t = hash(key('sms', 'tpl', id))
    if t then
        out[#out + 1] = { id = id, name = t.name, text = t.text }
    end
end
return reply(200, { templates = arr(out) })
