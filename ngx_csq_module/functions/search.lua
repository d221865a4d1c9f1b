-- flags: no-writes
-- GET tenants/<t>/search?q=&in=&from=&to=&agent=&queue=&channel=&state=
-- &before=&limit=: global search (R6.4, lib/search.lua) over message
-- texts (in=messages), customers (in=customers: name, phone, email,
-- company, business fields) or both (in=all, the default), newest first.
-- Messages: from, to (unix ms), agent, queue, channel and state filter by
-- their conversation; each hit with its conversation's summary once in
-- "conversations".  Results respect who may read what (R9.1).  limit: 20
-- (at most 50) of each; "next" (per kind) is the cursor for before=, with
-- in= that kind.  A query reads a bounded number of postings and checks
-- at most SX_VERIFY_MAX texts: a page may come back short with a "next".

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local qs = query(ARGV[5])
local q = qs.q or ''
if #q > 200 then return bad('q', 'must be at most 200 bytes') end
local runs = sx_runs(q)
local terms = sx_terms(runs)
if #terms == 0 then
    return bad('q', 'needs a word of 2 letters or digits, or a character '
               .. 'of Chinese, Japanese or Korean')
end
if #terms > 16 then return bad('q', 'has too many words') end
local kinds = qs['in'] or 'all'
if kinds ~= 'all' and kinds ~= 'messages' and kinds ~= 'customers' then
    return bad('in', 'must be one of all, customers, messages')
end
local limit = math.max(1, math.min(tonumber(qs.limit) or 20, 50))
local before = tonumber(qs.before)
if qs.before and (not before or kinds == 'all') then
    return bad('before', 'is a cursor of one kind: give in= too')
end
for _, f in ipairs({ 'from', 'to' }) do
    if qs[f] and not tonumber(qs[f]) then
        return bad(f, 'must be a time in unix ms')
    end
end

local out = {}

if kinds ~= 'customers' then
    local msgs, convs, seen, cache, checked = {}, {}, {}, {}, 0
    local from, to = tonumber(qs.from), tonumber(qs.to)
    local function conv_ok(cid)
        if cache[cid] == nil then
            local c = hash(key('c', cid))
            local ok = c ~= nil and conv_readable(cid, c)
            local within = ' ' .. (c and c['in'] or '') .. ' '
            if ok and qs.agent and qs.agent ~= '' then
                ok = string.find(within, ' a:' .. qs.agent .. ' ', 1, true)
            end
            if ok and qs.queue and qs.queue ~= '' then
                ok = string.find(within, ' q:' .. qs.queue .. ' ', 1, true)
            end
            for _, f in ipairs({ 'channel', 'state' }) do
                if ok and qs[f] and qs[f] ~= '' then ok = c[f] == qs[f] end
            end
            cache[cid] = ok and c or false
        end
        return cache[cid]
    end
    local mbefore = kinds == 'messages' and before
    local next_m = sx_scan('m', terms, mbefore, function(n)
        if checked >= SX_VERIFY_MAX then return 'before' end
        local cid, id = sx_message(n)
        local ms = id and tonumber(string.match(id, '^(%d+)'))
        if not cid or (from and ms < from) or (to and ms >= to) then
            return true
        end
        local c = conv_ok(cid)
        if not c then return true end
        checked = checked + 1
        local e = redis.call('XRANGE', key('log', cid), id, id)[1]
        local m = e and cjson.decode(e[2][2])
        local text = m and (m.text or m.title)
        if type(text) ~= 'string' or not sx_has(text, runs) then
            return true
        end
        msgs[#msgs + 1] = { conversation = cid, id = id, at = ms,
                            kind = m.kind, text = text, from = m.from }
        if not seen[cid] then
            seen[cid] = true
            convs[#convs + 1] = conv_summary(cid, c)
        end
        return #msgs < limit
    end)
    out.messages = arr(msgs)
    out.conversations = arr(convs)
    out.next_messages = next_m or cjson.null
end

if kinds ~= 'messages' then
    local list, checked = {}, 0
    local docs, cur = key('sx', 'u', 'docs'), key('sx', 'u', 'cur')
    local next_u = sx_scan('u', terms, kinds == 'customers' and before,
                           function(n)
        if checked >= SX_VERIFY_MAX then return 'before' end
        local id = redis.call('HGET', docs, n)
        if not id or tonumber(redis.call('HGET', cur, id)) ~= n then
            return true                 -- an older version of a customer
        end
        checked = checked + 1
        local c = CUST.get(id)
        if not c or not CUST.visible(c) then return true end
        if not sx_has(sx_customer_text(c), runs) then return true end
        list[#list + 1] = CUST.view(c)
        return #list < limit
    end)
    out.customers = arr(list)
    out.next_customers = next_u or cjson.null
end

return reply(200, out)
