-- flags: no-writes
-- GET tenants/<t>/conversations?from=&to=&agent=&queue=&channel=&state=
-- &reason=&rating=&topic=&wrap_status=&customer=&before=&limit=: the
-- supervisor's review of every conversation of the tenant (R5.5), newest
-- first.  from, to: arrival times (unix ms, to exclusive); state: queued,
-- active, bot, ended, abandoned (new: waiting for its first routing);
-- rating (the customer's), topic and wrap_status (the wrap-up's status:
-- wrapup.lua).  Pages of limit (50, at most 200; 10,000 for the CSV),
-- "next" the cursor for before= (it is "<ms>:<id>").  EXTRA 'csv' (GET
-- .../conversations/export): the same as CSV, up to limit (10,000) rows
-- a request in calls of CSV_BATCH (common.lua), the next page's cursor as
-- r[3].
-- The index read is the most selective given (agent, queue, all) and at
-- most READ_MAX of its entries a call: a page may come back short with a
-- "next" to go on from; a call never reads more (R9.6).

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local READ_MAX = 5000
local csv_out, csv_from, csv_done = csv_call()
local qs = query(ARGV[5])

local idx = key('convs')
if qs.agent and qs.agent ~= '' then
    if not valid_id(qs.agent) then
        return bad('agent', 'must be an agent id')
    end
    idx = key('convs', 'a', qs.agent)
elseif qs.queue and qs.queue ~= '' then
    if not valid_id(qs.queue) then return bad('queue', 'must be a queue id') end
    idx = key('convs', 'q', qs.queue)
end
local STATES = { new = true, queued = true, active = true, bot = true,
                 ended = true, abandoned = true }
if qs.state and qs.state ~= '' and not STATES[qs.state] then
    return bad('state', 'must be one of abandoned, active, bot, ended, new, '
               .. 'queued')
end
for _, f in ipairs({ 'from', 'to', 'rating' }) do
    if qs[f] and qs[f] ~= '' and not tonumber(qs[f]) then
        return bad(f, 'must be a number')
    end
end
local bms, bid = nil, nil
local cursor = csv_from or qs.before
if cursor and cursor ~= '' then
    bms, bid = string.match(cursor, '^(%d+):(.+)$')
    if not bms then return bad('before', 'must be a cursor') end
end

local limit, total = page_rows(qs, csv_out, csv_done)
local top = tonumber(qs.to) and ('(' .. qs.to) or '+inf'
if bms and (not tonumber(qs.to) or tonumber(bms) < tonumber(qs.to)) then
    top = bms
end
local bottom = tonumber(qs.from) or '-inf'

local function keep(cid, c)
    if qs.agent and qs.agent ~= ''
       and not string.find(' ' .. (c['in'] or '') .. ' ',
                           ' a:' .. qs.agent .. ' ', 1, true) then
        return false
    end
    if qs.queue and qs.queue ~= ''
       and not string.find(' ' .. (c['in'] or '') .. ' ',
                           ' q:' .. qs.queue .. ' ', 1, true) then
        return false
    end
    for _, f in ipairs({ 'channel', 'state', 'topic', 'wrap_status' }) do
        if qs[f] and qs[f] ~= '' and c[f] ~= qs[f] then return false end
    end
    if qs.reason and qs.reason ~= '' and c.end_reason ~= qs.reason then
        return false
    end
    if qs.customer and qs.customer ~= ''
       and CUST.id(c.customer or '') ~= CUST.id(qs.customer) then
        return false
    end
    if tonumber(qs.rating) and tonumber(c.rating) ~= tonumber(qs.rating) then
        return false
    end
    return true
end

local list, next_cursor = TL.page(idx, top, bottom, bms, bid, limit, READ_MAX,
                                  function(cid)
    local c = hash(key('c', cid))
    if c and keep(cid, c) then
        return csv_out and { cid, c } or conv_summary(cid, c)
    end
end)

if not csv_out then
    return reply(200, { conversations = arr(list),
                        next = next_cursor or cjson.null })
end

local out = { csv_done == 0 and csv_line({ 'id', 'created', 'ended', 'state',
                         'end_reason', 'customer', 'channel', 'queue',
                         'agents', 'rating', 'topic', 'messages' }) or nil }
for _, e in ipairs(list) do
    local cid, c = e[1], e[2]
    out[#out + 1] = csv_line({ cid, c.created, c.ended or '', c.state,
                               c.end_reason or '', c.customer,
                               c.channel or '', c.queue or '',
                               table.concat(conv_agents(c), ';'),
                               c.rating or '', c.topic or '',
                               redis.call('XLEN', key('log', cid)) })
end
return csv_reply(out, next_cursor, csv_done + #list, total)
