-- flags: no-writes
-- GET tenants/<t>/customers?view=&owner=&tag=&before=&limit=: the
-- library, newest first (R6.2): view "mine" (an agent's default), "pool"
-- (nobody's), "all" (a supervisor's default; supervisors only), or
-- owner=<agent> (supervisors); tag=<tag> keeps that tag's.  Pages of
-- limit (50, at most 200) with "next", the cursor for before=.  EXTRA
-- 'csv' (GET .../customers/export, supervisors): the same as CSV, up to
-- limit (10,000) rows a request in calls of CSV_BATCH (common.lua), the
-- next page's cursor as r[3].
-- With a tag, at most READ_MAX entries of the tag are read a call: a page
-- may come back short with a "next" to go on from (never a scan).

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local READ_MAX = 5000
local sup = (ROLES[ROLE] or 0) >= ROLES.supervisor
local csv_out, csv_from, csv_done = csv_call()
local qs = query(ARGV[5])

local view = qs.view or (sup and 'all' or 'mine')
local base
if qs.owner and qs.owner ~= '' then
    if not valid_id(qs.owner) then
        return bad('owner', 'must be an agent id')
    end
    if not sup and qs.owner ~= ACTOR then
        return fail(403, 'forbidden', 'another agent\'s customers are for '
                    .. 'supervisors')
    end
    base = key('lib', 'owner', qs.owner)
elseif view == 'mine' then
    base = key('lib', 'owner', ACTOR)
elseif view == 'pool' then
    base = key('lib', 'pool')
elseif view == 'all' then
    if not sup then
        return fail(403, 'forbidden', 'the whole library is for supervisors')
    end
    base = key('lib')
else
    return bad('view', 'must be one of all, mine, pool')
end

local limit, total = page_rows(qs, csv_out, csv_done)
local before = tonumber(csv_from or qs.before)
local top = before and ('(' .. before) or '+inf'
if qs.before and not before then return bad('before', 'must be a cursor') end

local ids, next_cursor = {}, nil
if qs.tag and qs.tag ~= '' then
    if not CUST.tag_ok(qs.tag) then return bad('tag', 'must be a tag') end
    local read = redis.call('ZREVRANGEBYSCORE', key('lib', 'tag', qs.tag),
                            top, '-inf', 'WITHSCORES', 'LIMIT', 0, READ_MAX)
    for i = 1, #read, 2 do
        if base == key('lib') or redis.call('ZSCORE', base, read[i]) then
            ids[#ids + 1] = read[i]
            if #ids >= limit then
                next_cursor = read[i + 1]
                break
            end
        end
    end
    if next_cursor == nil and #read == READ_MAX * 2 then
        next_cursor = read[#read]       -- the read budget is spent
    end
else
    local read = redis.call('ZREVRANGEBYSCORE', base, top, '-inf',
                            'WITHSCORES', 'LIMIT', 0, limit)
    for i = 1, #read, 2 do ids[#ids + 1] = read[i] end
    if #ids >= limit then next_cursor = read[#read] end
end

-- a full last page says "next" too: the page after it is empty
local list = {}
for _, id in ipairs(ids) do
    local c = CUST.get(id)
    if c then list[#list + 1] = CUST.view(c) end
end

if not csv_out then
    return reply(200, { customers = arr(list),
                        next = next_cursor and tonumber(next_cursor)
                               or cjson.null })
end

local _, defs = CUST.field_defs()
local head = { 'id', 'name', 'phone', 'email', 'company', 'owner', 'tags',
               'remark', 'avatar', 'added', 'last_seen' }
for _, d in ipairs(defs) do head[#head + 1] = 'field:' .. d.name end
local out = { csv_done == 0 and csv_line(head) or nil }
for _, v in ipairs(list) do
    local row = { v.id, v.name, v.phone, v.email, v.company,
                  v.owner == cjson.null and '' or v.owner,
                  table.concat(v.tags == EMPTY and {} or v.tags, ';'),
                  v.remark, v.avatar, v.added, v.last_seen }
    for _, d in ipairs(defs) do
        local x = v.fields[d.name]
        if type(x) == 'table' then x = table.concat(x, ';') end
        row[#row + 1] = x == nil and '' or x
    end
    out[#out + 1] = csv_line(row)
end
return csv_reply(out, next_cursor, csv_done + #list, total)
