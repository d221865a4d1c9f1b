-- flags: no-writes
-- GET tenants/<t>/tickets?assignee=&status=&customer=&before=&limit=:
-- the tickets the caller may see (R6.5; TK.visible), the last updated
-- first.  assignee: "me" (the caller), an agent or "none"; status: open,
-- pending or solved; customer: any of its contact ids (its records).
-- Pages of limit (50, at most 100), "next" the cursor for before= (it is
-- "<ms>:<id>").  The index read is the most selective given (assignee,
-- customer, status, all) and at most READ_MAX of its entries a call: a
-- page may come back short with a "next" to go on from (R9.6).
-- -> { tickets: [TK.view], next }

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local READ_MAX = 1000
local qs = query(ARGV[5])
local idx = key('tks')
local who = qs.assignee
if who == 'me' then who = ACTOR end
if who and who ~= '' and who ~= 'none' and not valid_id(who) then
    return bad('assignee', 'must be me, none or an agent id')
end
if qs.status and qs.status ~= '' and not TK.STATUS[qs.status] then
    return bad('status', 'must be one of open, pending, solved')
end
if qs.customer and qs.customer ~= '' and not valid_id(qs.customer) then
    return bad('customer', 'must be a customer id')
end
if who and who ~= '' and who ~= 'none' then
    idx = key('tks', 'a', who)
elseif qs.customer and qs.customer ~= '' then
    idx = key('cust', CUST.id(qs.customer), 'tickets')
elseif qs.status and qs.status ~= '' then
    idx = key('tks', 's', qs.status)
end
local bms, bid = nil, nil
if qs.before and qs.before ~= '' then
    bms, bid = string.match(qs.before, '^(%d+):(.+)$')
    if not bms then return bad('before', 'must be a cursor') end
end
local limit = math.max(1, math.min(tonumber(qs.limit) or 50, 100))

local function keep(tk)
    if who == 'none' and (tk.assignee or '') ~= '' then return false end
    if who and who ~= '' and who ~= 'none' and tk.assignee ~= who then
        return false
    end
    if qs.status and qs.status ~= '' and tk.status ~= qs.status then
        return false
    end
    if qs.customer and qs.customer ~= ''
       and CUST.id(tk.customer) ~= CUST.id(qs.customer) then
        return false
    end
    return TK.visible(tk)
end

local read = redis.call('ZREVRANGEBYSCORE', idx, bms or '+inf', '-inf',
                        'WITHSCORES', 'LIMIT', 0, READ_MAX)
local list, next_cursor, last = {}, nil, nil
for i = 1, #read, 2 do
    local id, at = read[i], read[i + 1]
    -- of the cursor's millisecond, those after it (members in reverse
    -- order within a score, as ZREVRANGEBYSCORE gives them)
    if not (bms and at == bms and id >= bid) then
        last = at .. ':' .. id
        local tk = TK.get(id)
        if tk and keep(tk) then
            list[#list + 1] = TK.view(tk)
            if #list >= limit then
                next_cursor = last
                break
            end
        end
    end
end
if next_cursor == nil and #read == READ_MAX * 2 then
    next_cursor = last          -- the read budget is spent
end
return reply(200, { tickets = arr(list), next = next_cursor or cjson.null })
