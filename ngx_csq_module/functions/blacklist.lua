-- flags: no-writes
-- GET tenants/<t>/blacklist?before=&limit=: blacklisted customers, the
-- latest first (supervisor): { customers: [{ id, name, phone, email,
-- reason, by, at }], next } with pages of limit (100, at most 1,000);
-- next ("<ms>:<id>") is the cursor for before=

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local qs = query(ARGV[5])
local limit = math.max(1, math.min(tonumber(qs.limit) or 100, 1000))
local bms, bid = nil, nil
if qs.before and qs.before ~= '' then
    bms, bid = string.match(qs.before, '^(%d+):(.+)$')
    if not bms then return bad('before', 'must be a cursor') end
end
-- of the cursor's millisecond, those after it (reverse order of members
-- within a score, as ZREVRANGEBYSCORE gives them)
local read = redis.call('ZREVRANGEBYSCORE', key('blacklist'), bms or '+inf',
                        '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1000)
local list, next_cursor = {}, nil
for i = 1, #read, 2 do
    local id, at = read[i], read[i + 1]
    if not (bms and at == bms and id >= bid) then
        if #list >= limit then
            next_cursor = list[#list].at .. ':' .. list[#list].id
            break
        end
        local c = CUST.get(id) or { id = id }
        list[#list + 1] = { id = id, name = c.name or '', phone = c.phone or '',
                            email = c.email or '',
                            reason = c.blacklist_reason or '',
                            by = c.blacklisted_by or '', at = tonumber(at) }
    end
end
return reply(200, { customers = arr(list), next = next_cursor or cjson.null })
