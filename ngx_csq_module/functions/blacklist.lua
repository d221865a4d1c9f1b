-- flags: no-writes
-- GET tenants/<t>/blacklist?before=&limit=: blacklisted customers, the
-- latest first (supervisor): { customers: [{ id, name, phone, email,
-- reason, by, at }], next } with pages of limit (100, at most 1,000)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local qs = query(ARGV[5])
local limit = math.max(1, math.min(tonumber(qs.limit) or 100, 1000))
local before = tonumber(qs.before)
local read = redis.call('ZREVRANGEBYSCORE', key('blacklist'),
                        before and ('(' .. before) or '+inf', '-inf',
                        'WITHSCORES', 'LIMIT', 0, limit)
local list = {}
for i = 1, #read, 2 do
    local c = cust_get(read[i]) or { id = read[i] }
    list[#list + 1] = { id = read[i], name = c.name or '',
                        phone = c.phone or '', email = c.email or '',
                        reason = c.blacklist_reason or '',
                        by = c.blacklisted_by or '', at = tonumber(read[i + 1]) }
end
return reply(200, { customers = arr(list),
                    next = #list >= limit and tonumber(read[#read])
                           or cjson.null })
