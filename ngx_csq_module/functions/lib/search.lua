-- ngx_csq_module: global search (R6.4), a part of the Redis function
-- library: the index of message texts and customers, kept in Redis, and
-- the query over it.
--
-- Terms.  Text is cut into runs: CJK runs (Han, kana, Hangul) give their
-- character bigrams (a run of one character gives itself; a customer's
-- give every character too, so that a surname finds); other runs of
-- letters and digits are words, in lower case (ASCII), at least 2 bytes,
-- cut at 32.  "我想申请退款" gives 我想 想申 申请 请退 退款; "Refund
-- please" gives refund, please.  A query is cut the same way; a document
-- matches when it has every term of the query and then (checked on its
-- text) every run of the query as written (so bigrams that are apart in
-- the text do not match, nor "refunds" for "refund").
--
-- Index.  Each collection (m: messages, u: customers) numbers the
-- documents it indexes (1, 2, ...).  A term's postings are one string:
-- the numbers of the documents that have it, 4 bytes each, ascending
-- (APPEND), so a term costs 4 bytes a document and a read is GETRANGE:
--   csq:{t}:sx:<c>:t:<term>   postings
--   csq:{t}:sx:m:docs         16 bytes a message: its conversation's
--                             number, the entry id's ms and sequence
--   csq:{t}:sx:u:docs         hash: document -> customer id
--   csq:{t}:sx:u:cur          hash: customer id -> its current document
--                             (a changed customer is indexed again; its
--                             older documents no longer count)
--   csq:{t}:sx:dirty          conversations with messages to index
-- The send path only marks its conversation dirty (SADD); the tick
-- indexes what the marked conversations logged since their "sx" field
-- (their last indexed id), at most SEARCH_STEP messages a run.
--
-- Cost.  A query reads its rarest term's postings from the newest back,
-- a chunk at a time, and for each chunk the same range of each other
-- term's postings; it stops at its limit of results, at READ_BUDGET
-- bytes of postings or VERIFY_MAX documents checked, and gives the
-- cursor to go on from: every match among the documents it went over.

local SEARCH_STEP = 300
local SX_CHUNK = 512                -- postings read at once (documents)
local SX_READ_BUDGET = 1024 * 1024  -- bytes of postings a query reads
local SX_VERIFY_MAX = 300           -- documents a query checks the text of
local SX_DOC = 16                   -- bytes of a message's document entry
local SX_RANGE_MAX = 65536          -- postings of a term read as a range

-- the runs of text s: { cjk = bool, s = text (lower case), chars = {...} }
local function sx_runs(s)
    local runs, cur = {}, nil
    local i, n = 1, #s
    local function close()
        if cur then runs[#runs + 1] = cur end
        cur = nil
    end
    while i <= n do
        local b = string.byte(s, i)
        local len, cp = 1, b
        if b >= 0xF0 then
            len = 4
        elseif b >= 0xE0 then
            len = 3
            local b2, b3 = string.byte(s, i + 1, i + 2)
            cp = (b % 16) * 4096 + ((b2 or 128) % 64) * 64 + (b3 or 128) % 64
        elseif b >= 0xC0 then
            len = 2
        end
        local ch = string.sub(s, i, i + len - 1)
        local cjk = len == 3 and ((cp >= 0x3040 and cp <= 0x30FF)
                                  or (cp >= 0x3400 and cp <= 0x4DBF)
                                  or (cp >= 0x4E00 and cp <= 0x9FFF)
                                  or (cp >= 0xAC00 and cp <= 0xD7AF)
                                  or (cp >= 0xF900 and cp <= 0xFAFF))
        local word = not cjk and (len > 1 and not (len == 3
                         and ((cp >= 0x3000 and cp <= 0x303F)
                              or (cp >= 0xFF00 and cp <= 0xFFEF)))
                     or string.find(ch, '^%w$') ~= nil)
        if cjk or word then
            if cur == nil or cur.cjk ~= cjk then
                close()
                cur = { cjk = cjk, chars = {} }
            end
            cur.chars[#cur.chars + 1] = cjk and ch or string.lower(ch)
        else
            close()
        end
        i = i + len
    end
    close()
    for _, r in ipairs(runs) do
        r.s = table.concat(r.chars)
    end
    return runs
end

-- the terms of runs, each once: a list; with unigrams, every character
-- of a CJK run too (customers: a surname alone finds its names)
local function sx_terms(runs, unigrams)
    local seen, out = {}, {}
    local function add(t)
        if not seen[t] then
            seen[t] = true
            out[#out + 1] = t
        end
    end
    for _, r in ipairs(runs) do
        if r.cjk then
            for i = 1, #r.chars do
                if unigrams or #r.chars == 1 then
                    add(r.chars[i])
                end
            end
            for i = 1, #r.chars - 1 do
                add(r.chars[i] .. r.chars[i + 1])
            end
        elseif #r.s >= 2 then
            add(string.sub(r.s, 1, 32))
        end
    end
    return out
end

local function sx_key(coll, term)
    return key('sx', coll, 't:' .. term)
end

-- document n of collection coll has the terms of text
local function sx_add(coll, n, text, unigrams)
    local p = struct.pack('>I4', n)
    for _, t in ipairs(sx_terms(sx_runs(text), unigrams)) do
        redis.call('APPEND', sx_key(coll, t), p)
    end
end

-- what of customer c (its record) is searched: name, phone, email,
-- company and business fields
local function sx_customer_text(c)
    local parts = { c.name or '', c.phone or '', c.email or '',
                    c.company or '' }
    for _, v in pairs(cjson.decode(c.fields or '{}')) do
        if type(v) == 'table' then v = table.concat(v, ' ') end
        parts[#parts + 1] = tostring(v)
    end
    return table.concat(parts, ' ')
end

-- customer c (its record) indexed as it is now
local function sx_customer(c)
    local text = sx_customer_text(c)
    if not string.find(text, '%w') then
        redis.call('HDEL', key('sx', 'u', 'cur'), c.id)
        return
    end
    -- a phone is found by its last 7 digits or more too (without its
    -- country code, say)
    local digits = string.gsub(c.phone or '', '%D', '')
    for i = 2, #digits - 6 do
        text = text .. ' ' .. string.sub(digits, i)
    end
    local n = redis.call('HINCRBY', KEYS[1], 'sxu', 1)
    redis.call('HSET', key('sx', 'u', 'docs'), n, c.id)
    redis.call('HSET', key('sx', 'u', 'cur'), c.id, n)
    sx_add('u', n, text, true)
end

-- one run of the indexer: messages the marked conversations logged since
-- they were last indexed, at most SEARCH_STEP, numbered in the order they
-- were written (so that newest first is by time); returns how many
local function search_step()
    local dk, got, left = key('sx', 'dirty'), {}, SEARCH_STEP
    for _, cid in ipairs(redis.call('SRANDMEMBER', dk, 50)) do
        if left <= 0 then break end
        local ck = key('c', cid)
        local from = redis.call('HGET', ck, 'sx')
        local cn = tonumber(string.match(cid, '^c(%d+)$'))
        local read = cn and redis.call('XRANGE', key('log', cid),
                                       from and ('(' .. from) or '-', '+',
                                       'COUNT', left) or {}
        for _, e in ipairs(read) do
            local ms, seq = string.match(e[1], '^(%d+)%-(%d+)$')
            got[#got + 1] = { cn = cn, ms = tonumber(ms), seq = tonumber(seq),
                              m = e[2][2] }
        end
        left = left - #read
        if #read > 0 and redis.call('EXISTS', ck) == 1 then
            redis.call('HSET', ck, 'sx', read[#read][1])
        end
        if left > 0 then
            redis.call('SREM', dk, cid)     -- all of it is indexed
            if redis.call('EXISTS', ck) == 1 then
                redis.call('HDEL', ck, 'sxm')   -- the next message marks it
            end
        end
    end
    table.sort(got, function(x, y)
        if x.ms ~= y.ms then return x.ms < y.ms end
        if x.cn ~= y.cn then return x.cn < y.cn end
        return x.seq < y.seq
    end)
    for _, e in ipairs(got) do
        local m = cjson.decode(e.m)
        local text = m.text or m.title
        if type(text) == 'string' and text ~= '' then
            local n = redis.call('HINCRBY', KEYS[1], 'sxm', 1)
            redis.call('SETRANGE', key('sx', 'm', 'docs'), (n - 1) * SX_DOC,
                       struct.pack('>I4dI4', e.cn, e.ms, e.seq))
            sx_add('m', n, text)
        end
    end
    return #got
end

-- the first entry (0-based) of postings k (m entries) that is >= n
local function sx_seek(k, m, n)
    local lo, hi = 0, m
    while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        local v = struct.unpack('>I4', redis.call('GETRANGE', k, mid * 4,
                                                  mid * 4 + 3))
        if v < n then lo = mid + 1 else hi = mid end
    end
    return lo
end

-- postings raw (4 bytes each) as a list of numbers
local function sx_decode(raw)
    local out, n = {}, #raw / 4
    for at = 0, n - 1, 1000 do
        local m = math.min(1000, n - at)
        local v = { struct.unpack('>' .. string.rep('I4', m), raw, at * 4 + 1) }
        for j = 1, m do out[at + j] = v[j] end
    end
    return out
end

-- in postings raw (n entries), the first entry >= d from entry p on
-- (0-based), galloping: candidates come in order, so p only grows
local function sx_gallop(raw, n, p, d)
    local step, top = 1, p
    while top < n and struct.unpack('>I4', raw, top * 4 + 1) < d do
        p = top + 1
        top = top + step
        step = step * 2
    end
    if top > n then top = n end
    while p < top do
        local mid = math.floor((p + top) / 2)
        if struct.unpack('>I4', raw, mid * 4 + 1) < d then
            p = mid + 1
        else
            top = mid
        end
    end
    return p
end

-- the documents of collection coll that have every term, newest first,
-- below document `below` (nil: from the newest); each goes to want(n):
-- true goes on, false stops after n, 'before' stops before n (it was not
-- looked at).  Returns the cursor to go on from (documents below it are
-- still to see) when it stopped before the end: want() had enough, or
-- the read budget is spent; nil when it went over them all.
local function sx_scan(coll, terms, below, want)
    local keys, lens, order = {}, {}, {}
    for i, t in ipairs(terms) do
        keys[i] = sx_key(coll, t)
        lens[i] = redis.call('STRLEN', keys[i]) / 4
        if lens[i] == 0 then
            return nil
        end
        order[i] = i
    end
    table.sort(order, function(a, b) return lens[a] < lens[b] end)
    local rk, rm = keys[order[1]], lens[order[1]]
    local hi = below and sx_seek(rk, rm, below) or rm
    local budget = SX_READ_BUDGET
    while hi > 0 do
        local lo = math.max(0, hi - SX_CHUNK)
        local raw = redis.call('GETRANGE', rk, lo * 4, hi * 4 - 1)
        budget = budget - #raw
        local cands = sx_decode(raw)
        local ok = {}
        for j = 1, #cands do ok[j] = true end
        for x = 2, #order do
            local k, m = keys[order[x]], lens[order[x]]
            local a = sx_seek(k, m, cands[1])
            local b = sx_seek(k, m, cands[#cands] + 1)
            if b - a > SX_RANGE_MAX then
                -- a range too long to read: each candidate looked up
                for j = 1, #cands do
                    if ok[j] then
                        local at = sx_seek(k, m, cands[j])
                        ok[j] = at < m and struct.unpack('>I4',
                                redis.call('GETRANGE', k, at * 4, at * 4 + 3))
                                == cands[j]
                    end
                end
                budget = budget - #cands * 64
            else
                local r2 = b > a and redis.call('GETRANGE', k, a * 4,
                                                b * 4 - 1) or ''
                budget = budget - #r2
                local n2, p = #r2 / 4, 0
                for j = 1, #cands do
                    if ok[j] then
                        p = sx_gallop(r2, n2, p, cands[j])
                        ok[j] = p < n2 and struct.unpack('>I4', r2,
                                                         p * 4 + 1) == cands[j]
                    end
                end
            end
        end
        for j = #cands, 1, -1 do
            if ok[j] then
                local go = want(cands[j])
                if go == 'before' then
                    return cands[j] + 1
                elseif not go then
                    return (j > 1 or lo > 0) and cands[j] or nil
                end
            end
        end
        hi = lo
        if budget <= 0 and hi > 0 then
            return cands[1]
        end
    end
    return nil
end

-- does text have every run of the query (as written, ASCII in any case)?
local function sx_has(text, runs)
    local low = string.lower(text)
    for _, r in ipairs(runs) do
        if not string.find(low, r.s, 1, true) then
            return false
        end
    end
    return true
end

-- message document n: its conversation and entry id
local function sx_message(n)
    local raw = redis.call('GETRANGE', key('sx', 'm', 'docs'),
                           (n - 1) * SX_DOC, n * SX_DOC - 1)
    if #raw < SX_DOC then
        return nil
    end
    local cn, ms, seq = struct.unpack('>I4dI4', raw)
    return 'c' .. cn, string.format('%.0f-%d', ms, seq)
end
