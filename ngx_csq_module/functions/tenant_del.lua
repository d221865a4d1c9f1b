-- flags: allow-oom
-- DELETE tenants/<t> (platform): the tenant and every key of it, in
-- batches, so that Redis is never blocked for long.  KEYS[2]: csq:tenants,
-- the registry.  EXTRA: '' for the first call, then the SCAN cursor the
-- previous batch returned.  The first call removes the tenant itself (it
-- is gone for every caller from then on) and keeps csq:{<t>}:deleting,
-- with the cursor and the count, until the last batch: a delete cut short
-- (nginx stopped) goes on with the next DELETE.
-- Returns { 200, '{"id":...,"deleted":true,"keys":n}', next cursor ('0':
-- done) }.

local mark = key('deleting')
local cursor, n = EXTRA, 0

if cursor == nil or cursor == '' then
    if tenant_exists() then
        redis.call('DEL', KEYS[1])
        redis.call('SREM', KEYS[2], TENANT)
        cursor, n = '0', 1
    else
        local m = redis.call('HMGET', mark, 'cursor', 'keys')
        if not m[1] then
            return fail(404, 'not_found', 'no such tenant')
        end
        cursor, n = m[1], tonumber(m[2]) or 0
    end
else
    n = tonumber(redis.call('HGET', mark, 'keys')) or 0
end

-- one batch of the keyspace walk
local pattern = string.gsub(T, '[%[%]%*%?\\]', '\\%0') .. '*'
local r = redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)
for _, k in ipairs(r[2]) do
    if k ~= mark then
        redis.call('DEL', k)
        n = n + 1
    end
end

if r[1] == '0' then
    redis.call('DEL', mark)
else
    redis.call('HSET', mark, 'cursor', r[1], 'keys', n)
end

local out = reply(200, { id = TENANT, deleted = true, keys = n })
out[3] = r[1]
return out
