-- ngx_csq_module: records (R5.3-R5.5, R6.5), a part of the Redis function
-- library: who may read a conversation, how one is summed up in a list,
-- and the timelines of a customer, merged by time from its sources:
--   csq:{t}:cust:<id>:convs    its conversations, by arrival
--   csq:{t}:cust:<id>:notes    its notes (JSON members)
--   csq:{t}:cust:<id>:trail    the pages it viewed (JSON members, the
--                              newest TRAIL_MAX)
-- A later source (calls, tickets, follow-ups) is one more zset by time
-- and one more entry of TIMELINE_SOURCES.  The review's indexes of every
-- conversation are route.lua's review_index():
--   csq:{t}:convs, csq:{t}:convs:a:<agent>, csq:{t}:convs:q:<queue>

local TRAIL_MAX = 500

-- may the caller read conversation cid (hash c)?  Supervisors and admins
-- all; an agent those it served and those of the customers it owns; a
-- customer its own (R9.1)
local function conv_readable(cid, c)
    local r = ROLES[ROLE] or 0
    if r >= ROLES.supervisor then
        return true
    end
    if r < ROLES.agent then
        return ROLE == 'customer' and customer_owns(cid, c)
    end
    if c.agent == ACTOR
       or string.find(' ' .. (c['in'] or '') .. ' ', ' a:' .. ACTOR .. ' ',
                      1, true) then
        return true
    end
    local owner = c.customer and redis.call('HGET',
                                            key('cust', CUST.id(c.customer)),
                                            'owner')
    return owner == ACTOR
end

-- what a call on a conversation ID needs first: the tenant, a body, the
-- conversation and the caller's right to read it (not a customer's):
-- the body and the conversation, or nil and the reply
local function readable_prologue()
    local b, err = body_prologue()
    if err then return nil, nil, err end
    local c = hash(key('c', ID))
    if c == nil then
        return nil, nil, fail(404, 'not_found', 'no such conversation')
    end
    if ROLE == 'customer' or not conv_readable(ID, c) then
        return nil, nil, fail(403, 'forbidden',
                              'not a conversation you may read')
    end
    return b, c
end

-- the agents that served conversation c, in their order
local function conv_agents(c)
    local list = {}
    for aid in string.gmatch(c['in'] or '', 'a:(%S+)') do
        list[#list + 1] = aid
    end
    return list
end

-- one conversation in a list of records
local function conv_summary(cid, c)
    local name = c.customer and redis.call('HGET',
        key('cust', CUST.id(c.customer)), 'name')
    return { kind = 'conversation', id = cid, state = c.state,
             customer = c.customer,
             customer_name = (name and name ~= '') and name or cjson.null,
             channel = c.channel or '',
             queue = c.queue or '', agent = c.agent or cjson.null,
             agents = arr(conv_agents(c)),
             created = tonumber(c.created) or 0,
             ended = tonumber(c.ended) or cjson.null,
             end_reason = c.end_reason or cjson.null,
             rating = tonumber(c.rating) or cjson.null,
             topic = (c.topic or '') ~= '' and c.topic or cjson.null,
             wrapup = wrapup_view(c),
             messages = redis.call('XLEN', key('log', cid)) }
end

-- the entries of one source of customer id's timeline before time
-- `before`, newest first, at most n: { at, item } each; whether the
-- source had n to read, and the time of the last one read (entries the
-- caller may not see are read, not given)
-- a timeline's parts, in one table (the library's chunk is at its 200
-- locals: lib/ORDER)
local TL = {}

function TL.read(k, before, n)
    local read = redis.call('ZREVRANGEBYSCORE', k, '(' .. before, '-inf',
                            'WITHSCORES', 'LIMIT', 0, n)
    return read, #read >= 2 * n, tonumber(read[#read])
end

-- a source of JSON members (notes, pages viewed): items of that kind
TL.KEYS = { note = 'notes', page = 'trail', sms = 'sms' }
function TL.json(kind, id, before, n)
    local out = {}
    local read, full, last = TL.read(key('cust', id, TL.KEYS[kind]), before, n)
    for i = 1, #read, 2 do
        local item = cjson.decode(read[i])
        item.kind = kind
        out[#out + 1] = { at = tonumber(read[i + 1]), item = item }
    end
    return out, full, last
end

TL.SOURCES = {
    conversations = function(id, before, n)
        local out = {}
        local read, full, last = TL.read(key('cust', id, 'convs'), before, n)
        -- a deleted one is shown to who may read all of the customer's
        local all = (ROLES[ROLE] or 0) >= ROLES.supervisor
                    or redis.call('HGET', key('cust', id), 'owner') == ACTOR
        for i = 1, #read, 2 do
            local cid, at = read[i], tonumber(read[i + 1])
            local c = hash(key('c', cid))
            if c == nil then
                if all then
                    out[#out + 1] = { at = at, item = {
                        kind = 'conversation', id = cid, created = at,
                        deleted = true,
                        message = 'deleted after the tenant\'s retention' } }
                end
            elseif conv_readable(cid, c) then
                out[#out + 1] = { at = at, item = conv_summary(cid, c) }
            end
        end
        return out, full, last
    end,
    notes = function(id, before, n) return TL.json('note', id, before, n) end,
    -- calls (calls.lua, R7.2) and texts sent (R7.3)
    calls = function(id, before, n)
        local out = {}
        local read, full, last = TL.read(key('cust', id, 'calls'), before, n)
        for i = 1, #read, 2 do
            local c = CALL.get(read[i])
            if c then
                out[#out + 1] = { at = tonumber(read[i + 1]),
                                  item = CALL.view(c) }
            end
        end
        return out, full, last
    end,
    sms = function(id, before, n) return TL.json('sms', id, before, n) end,
    pages = function(id, before, n) return TL.json('page', id, before, n) end,
}

-- A page of an index of ids by time, newest first, whose cursor is
-- "<ms>:<id>" (the review, the tickets): of index idx from score top down
-- to bottom, the items take(id) gives (nil: left out), at most limit,
-- reading at most read_max entries (R9.6); bms and bid: the cursor's parts
-- (of its millisecond only the ids after it, in reverse order within a
-- score as ZREVRANGEBYSCORE gives them).  Returns the items and the
-- cursor of the next page (nil: no more), given too when the read budget
-- is spent
function TL.page(idx, top, bottom, bms, bid, limit, read_max, take)
    local read = redis.call('ZREVRANGEBYSCORE', idx, top, bottom,
                            'WITHSCORES', 'LIMIT', 0, read_max)
    local list, next_cursor, last = {}, nil, nil
    for i = 1, #read, 2 do
        local id, at = read[i], read[i + 1]
        if not (bms and at == bms and id >= bid) then
            last = at .. ':' .. id
            local item = take(id)
            if item then
                list[#list + 1] = item
                if #list >= limit then
                    next_cursor = last
                    break
                end
            end
        end
    end
    if next_cursor == nil and #read == read_max * 2 then
        next_cursor = last
    end
    return list, next_cursor
end

-- customer id's timeline of the given sources, newest first: about n
-- items before time `before` (ms), and the cursor of the next page (nil:
-- there is no more).  A source read to its limit was read down to some
-- time (its floor): the page holds only what is above the highest floor,
-- so nothing below it is skipped, even when the caller may see none of a
-- page's entries.  Items of the page's last millisecond all come in it (a
-- page may be a little longer than n), so that before= never skips one.
local function timeline(id, sources, before, n)
    local all, floor = {}, nil
    for _, s in ipairs(sources) do
        local got, full, last = TL.SOURCES[s](id, before, n + 1)
        if full and (floor == nil or last > floor) then
            floor = last
        end
        for _, e in ipairs(got) do
            all[#all + 1] = e
        end
    end
    local kept = {}
    for _, e in ipairs(all) do
        if floor == nil or e.at > floor then
            kept[#kept + 1] = e
        end
    end
    table.sort(kept, function(x, y) return x.at > y.at end)
    local out = {}
    for i, e in ipairs(kept) do
        if i > n and e.at ~= kept[n].at then
            break
        end
        e.item.at = e.at
        out[i] = e.item
    end
    if #out < #kept then
        return out, out[#out].at
    end
    return out, floor and floor + 1 or nil
end
