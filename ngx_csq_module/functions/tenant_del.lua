-- flags: allow-oom
-- DELETE tenants/<t> (platform): the tenant and every key of it.
-- KEYS[2]: csq:tenants, the registry.
-- One atomic script walks the keyspace for csq:{<t>}:*, which blocks Redis
-- for as long as the walk takes: an operator's action, not a request's.

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local pattern = string.gsub(T, '[%[%]%*%?\\]', '\\%0') .. '*'
local cursor, n = '0', 0

repeat
    local r = redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = r[1]
    for _, k in ipairs(r[2]) do
        redis.call('DEL', k)
        n = n + 1
    end
until cursor == '0'

redis.call('SREM', KEYS[2], TENANT)

return reply(200, { id = TENANT, deleted = true, keys = n })
