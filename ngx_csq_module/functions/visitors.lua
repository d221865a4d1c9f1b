-- flags: no-writes
-- GET tenants/<t>/visitors[?q=<part of an id>&link=<id>&limit=<n>]: the
-- latest visitors with their visits, first and last visit and last
-- channel (admin, R8.1); EXTRA 'csv' (GET .../visitors/export) gives CSV.
-- ID holds the query string.

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local qs = query(ID)
local limit = math.max(1, math.min(tonumber(qs.limit) or 1000, 10000))
local list = {}
local start = 0

while #list < limit do
    local ids = redis.call('ZREVRANGE', key('visitors'), start, start + 999)
    if #ids == 0 then break end
    start = start + 1000
    for _, vid in ipairs(ids) do
        local v = hash(key('visitor', vid)) or {}
        if (not qs.q or string.find(vid, qs.q, 1, true))
           and (not qs.link or v.last_channel == qs.link) then
            list[#list + 1] = { id = vid, visits = num(v.visits, 0),
                                first = num(v.first, 0),
                                last = num(v.last, 0),
                                last_channel = v.last_channel or '' }
            if #list >= limit then break end
        end
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
