-- flags: none
-- PUT tenants/<t>: create or update a tenant (platform)
-- body: { name, return_hours, default_capacity, suspended_text,
--         connect_grace_seconds (an anonymous arrival's first socket),
--         auto_end_minutes, retention_minutes, visitor_retention_minutes
--         (R9.6, retention.lua), attachment_quota_mb (attach_put.lua),
--         lang (R10.1: the pages' language, '' the browser's),
--         offline_text (R2.4: to a private contact whose owner is
--         offline), outbox_max (outbox.lua: entries waiting to go out),
--         outbox_dead_minutes (its dead letters' retention),
--         plans_per_agent_max, plans_max, plan_retention_minutes (R7.4,
--         followup.lua), ticket_retention_minutes, tickets_max (R6.5,
--         tickets.lua) }
-- KEYS[2]: csq:tenants, the registry the workers' tick reads

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end

local f, err = fields(b, {
    { 'name', 'string', 200 }, { 'return_hours', 'int', 0, 24 * 365 },
    { 'default_capacity', 'int', 1, 1000 },
    { 'suspended_text', 'string', 2000 },
    { 'offline_text', 'string', 2000 },
    { 'blacklist_text', 'string', 2000 },
    { 'auto_end_minutes', 'int', 0, 7 * 24 * 60 },
    { 'utc_offset_minutes', 'int', -14 * 60, 14 * 60 },
    { 'avatar', 'string', 2000 }, { 'require_login', 'bool' },
    { 'connect_grace_seconds', 'int', 1, 86400 },
    { 'retention_minutes', 'int', 1, 10 * 365 * 24 * 60 },
    { 'visitor_retention_minutes', 'int', 1, 10 * 365 * 24 * 60 },
    { 'attachment_quota_mb', 'int', 0, 1048576 },
    { 'outbox_max', 'int', 1, 10000000 },
    { 'outbox_dead_minutes', 'int', 1, 10 * 365 * 24 * 60 },
    { 'ticket_retention_minutes', 'int', 1, 10 * 365 * 24 * 60 },
    { 'tickets_max', 'int', 1, 1000000 } })
if err then return err end
local fu
fu, err = fields(b, FU.SETTINGS)        -- follow-up's (followup.lua)
if err then return err end
for n, v in pairs(fu) do f[n] = v end

-- the pages' language (R10.1): one of the catalog's (pages/i18n.js), or
-- '' for each visitor's browser's
if b.lang ~= nil then
    if b.lang ~= '' and b.lang ~= 'zh-CN' and b.lang ~= 'en' then
        return bad('lang', 'must be "zh-CN", "en" or "" (the browser\'s)')
    end
    f.lang = b.lang
end

-- the chat page's bottom bar (R1.1): [{ label, url }]
if b.faq_links ~= nil then
    if type(b.faq_links) ~= 'table' or #b.faq_links > 20 then
        return bad('faq_links', 'must be an array of at most 20 links')
    end
    for _, l in ipairs(b.faq_links) do
        if type(l) ~= 'table' or type(l.label) ~= 'string'
           or #l.label == 0 or #l.label > 100 or type(l.url) ~= 'string'
           or not string.match(l.url, '^https?://[^%s]+$') then
            return bad('faq_links', 'must hold { label, url } with http(s) urls')
        end
    end
    f.faq_links = cjson.encode(b.faq_links)
end

-- the sites whose pages may use the help desk (R1.3): origins, kept as
-- origin_of() writes them; empty = any
if b.origins ~= nil then
    if type(b.origins) ~= 'table' or #b.origins > 100 then
        return bad('origins', 'must be an array of at most 100 origins')
    end
    local kept = {}
    for i, o in ipairs(b.origins) do
        kept[i] = origin_of(o)
        if kept[i] == nil then
            return bad('origins', 'must hold origins like https://example.com')
        end
    end
    f.origins = cjson.encode(kept)
end

local created = not tenant_exists()

if created then
    redis.call('HSET', KEYS[1], 'id', TENANT, 'name', TENANT,
               'return_hours', 48, 'default_capacity', 5,
               'suspended_text', '', 'created', NOW, 'auto_end_minutes', 0,
               'utc_offset_minutes', 0)
    redis.call('SADD', KEYS[2], TENANT)
end

hset_given(KEYS[1], f)

event(created and 'tenant_created' or 'tenant_updated', { tenant = TENANT })

local t = hash(KEYS[1])
return reply(created and 201 or 200, FU.settings(t, {
    id = TENANT, name = t.name, return_hours = tonumber(t.return_hours),
    default_capacity = tonumber(t.default_capacity),
    suspended_text = t.suspended_text,
    offline_text = (t.offline_text or '') ~= '' and t.offline_text
                   or ARR.OFFLINE_TEXT,
    blacklist_text = (t.blacklist_text or '') ~= '' and t.blacklist_text
                     or BLACKLIST_TEXT,
    auto_end_minutes = tonumber(t.auto_end_minutes),
    utc_offset_minutes = tonumber(t.utc_offset_minutes or 0),
    origins = arr(cjson.decode(t.origins or '[]')),
    require_login = t.require_login == '1',
    connect_grace_seconds = tonumber(t.connect_grace_seconds or 60),
    retention_minutes = tonumber(t.retention_minutes or 129600),
    visitor_retention_minutes = tonumber(t.visitor_retention_minutes
                                         or 43200),
    avatar = t.avatar or '', lang = t.lang or '',
    attachment_quota_mb = tonumber(t.attachment_quota_mb or 1024),
    outbox_max = tonumber(t.outbox_max or OB.MAX),
    outbox_dead_minutes = tonumber(t.outbox_dead_minutes or 43200),
    ticket_retention_minutes = tonumber(t.ticket_retention_minutes
                                        or 525600),
    tickets_max = tonumber(t.tickets_max or 100000),
    faq_links = arr(cjson.decode(t.faq_links or '[]')) }))
