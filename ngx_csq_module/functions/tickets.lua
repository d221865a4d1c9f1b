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

local list, next_cursor = TL.page(idx, bms or '+inf', '-inf', bms, bid, limit,
                                  READ_MAX, function(id)
    local tk = TK.get(id)
    return tk and keep(tk) and TK.view(tk) or nil
end)
return reply(200, { tickets = arr(list), next = next_cursor or cjson.null })
