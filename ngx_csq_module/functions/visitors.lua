-- flags: no-writes
-- GET tenants/<t>/visitors[?q=<start of an id>&link=<id>&limit=<n>]: the
-- latest visitors with their visits, first and last visit and last
-- channel (admin, R8.1); EXTRA 'csv' (GET .../visitors/export) gives CSV.
-- ARGV[5] holds the query string.  A search reads its indexes only (ids by
-- id, a link's visitors by last visit), at most READ_MAX candidates:
-- never every visitor of the tenant (R9.6).

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local READ_MAX = 2000

local qs = query(ARGV[5])
local limit = math.max(1, math.min(tonumber(qs.limit) or 1000, 10000))
local list = {}
local candidates

if qs.q and qs.q ~= '' then
    -- ids that start with q, in id order
    candidates = redis.call('ZRANGE', key('visitors', 'ids'), '[' .. qs.q,
                            '[' .. qs.q .. '\255', 'BYLEX',
                            'LIMIT', 0, qs.link and READ_MAX or limit)
elseif qs.link then
    candidates = redis.call('ZREVRANGE', key('link', qs.link, 'recent'),
                            0, math.max(limit, READ_MAX) - 1)
else
    candidates = redis.call('ZREVRANGE', key('visitors'), 0, limit - 1)
end

for _, vid in ipairs(candidates) do
    local v = hash(key('visitor', vid)) or {}
    -- a link's: the ones whose last visit came through it
    if not qs.link or v.last_channel == qs.link then
        list[#list + 1] = { id = vid, visits = num(v.visits, 0),
                            first = num(v.first, 0), last = num(v.last, 0),
                            last_channel = v.last_channel or '' }
        if #list >= limit then break end
    end
end

if EXTRA ~= 'csv' then
    return reply(200, { visitors = arr(list) })
end

local out = { csv_line({ 'id', 'visits', 'first', 'last', 'last_channel' }) }
for _, v in ipairs(list) do
    out[#out + 1] = csv_line({ v.id, v.visits, v.first, v.last,
                               v.last_channel })
end
return { 200, table.concat(out) }
