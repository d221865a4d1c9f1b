-- flags: no-writes
-- GET tenants/<t>: the tenant with its queues and agents (admin)

if not tenant_exists() then
    return fail(404, 'not_found', 'no such tenant')
end

local t = hash(KEYS[1])
local queues = redis.call('SMEMBERS', key('queues'))
local agents = redis.call('SMEMBERS', key('agents'))
table.sort(queues)
table.sort(agents)

return reply(200, FU.settings(t, {
    id = TENANT, name = t.name, return_hours = tonumber(t.return_hours),
    default_capacity = tonumber(t.default_capacity),
    suspended_text = t.suspended_text,
    offline_text = (t.offline_text or '') ~= '' and t.offline_text
                   or ARR.OFFLINE_TEXT,
    fallback_queue = t.fallback_queue or cjson.null,
    rules = arr(cjson.decode(t.rules or '[]')),
    auto_end_minutes = tonumber(t.auto_end_minutes or 0),
    utc_offset_minutes = tonumber(t.utc_offset_minutes or 0),
    origins = arr(cjson.decode(t.origins or '[]')),
    require_login = t.require_login == '1',
    connect_grace_seconds = tonumber(t.connect_grace_seconds or 60),
    retention_minutes = tonumber(t.retention_minutes or 129600),
    visitor_retention_minutes = tonumber(t.visitor_retention_minutes
                                         or 43200),
    attachment_quota_mb = tonumber(t.attachment_quota_mb or 1024),
    outbox_max = tonumber(t.outbox_max or OB.MAX),
    outbox_dead_minutes = tonumber(t.outbox_dead_minutes or 43200),
    ticket_retention_minutes = tonumber(t.ticket_retention_minutes
                                        or 525600),
    tickets_max = tonumber(t.tickets_max or 100000),
    lang = t.lang or '',
    queues = arr(queues),
    agents = arr(agents) }))
