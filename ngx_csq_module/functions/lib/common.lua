-- ngx_csq_module: the part of the Redis function library every function
-- uses: its calling convention, replies and field checks.  The library is
-- put together by embed_functions.sh: the files of lib/ in the order of
-- lib/ORDER, then each functions/<name>.lua as the body of the function
-- csq_<version>_<name> (see register() at the end of this file).
--
-- Calling convention of a function:
--   KEYS[1]  csq:{<tenant>}:tenant   (every key of the tenant shares the tag)
--   ARGV[1]  now, unix milliseconds (the caller's clock)
--   ARGV[2]  acting agent id; a customer's id, with "/<conversation>"
--            when its token is for one conversation ('' none)
--   ARGV[3]  acting role: none, customer, agent, supervisor, admin, platform;
--            an agent's, supervisor's or admin's token adds " <session>"
--            (R9.5: every call checks it, see session_ok())
--   ARGV[4]  the id named in the path ('' for none)
--   ARGV[5]  the request body, JSON ('' for none)
--   ARGV[6]  extra argument computed by nginx (a password hash) or ''
--   ARGV[7]  the page's origin as the request gave it (its Origin header,
--            or a Referer), '' none
--   ARGV[8]  the Host the request came to ('' none)
--   ARGV[9]  only for a socket's client frame: the frame's ref ('' none);
--            then reply() and fail() answer with the ack or error frame
-- Returns { http status, JSON body (or frame), ... }.
--
-- A function checks everything before it writes anything: an error reply
-- means nothing changed.

-- The context of the call running now, set by begin() before each call.
-- Redis runs one call at a time, so the library's helpers read these as
-- the arguments of the call they serve.
local KEYS, ARGV
local T                     -- 'csq:{t}:', the prefix of the tenant's keys
local TENANT, NOW, ACTOR, ROLE, ID, EXTRA
local SESSION               -- the session of a staff token, else nil
local ORIGIN                -- another site's page: its origin, else ''
local REF                   -- a socket's client frame: its ref, else nil
local OFFSET                -- the tenant's utc_offset_minutes, once read

-- a customer token names the customer, and (given at an arrival) the one
-- conversation it is for: "<customer>/<conversation>"
local CUSTOMER, CUSTOMER_CONV

-- The origin rule (R1.3), its one owner: the RFC 6454 origin of s (an
-- Origin header, a Referer, a configured origin) as "scheme://host[:port]",
-- http or https, scheme and host in lower case, the scheme's default port
-- left out; nil when s has none.  path: whether s may have a path.
local function origin_of(s, path)
    if type(s) ~= 'string' or #s > 2000 then
        return nil
    end
    local scheme, auth, rest = string.match(s, '^(%a+)://([^/?#]*)(.*)$')
    scheme = scheme and string.lower(scheme)
    if (scheme ~= 'http' and scheme ~= 'https') or (rest ~= '' and not path)
       or string.find(auth, '[@%s]') then
        return nil
    end
    local host, port = string.match(auth, '^(%[[%x:.]+%])(.*)$')
    if host == nil then
        host, port = string.match(auth, '^([^:]+)(.*)$')
    end
    if host == nil or not string.match(host, '^[%w%.%-%[%]:]+$') then
        return nil
    end
    if port ~= '' then
        port = tonumber(string.match(port, '^:(%d+)$'))
        if port == nil or port > 65535 then
            return nil
        end
        if port == (scheme == 'http' and 80 or 443) then
            port = nil
        end
    else
        port = nil
    end
    return scheme .. '://' .. string.lower(host)
           .. (port and (':' .. port) or '')
end

-- the page's origin when it is another site's: not the Host the request
-- came to, whatever the scheme (a proxy may end TLS before nginx)
local function foreign(origin, host)
    if origin == nil or origin == '' then
        return ''
    end
    local o = origin_of(origin, true)
    if o == nil then
        return origin       -- "null" (a sandboxed page) or garbage: unlisted
    end
    if host == nil or host == '' then
        return o
    end
    if o == origin_of('http://' .. host) or o == origin_of('https://' .. host)
    then
        return ''
    end
    return o
end

local function begin(keys, args)
    KEYS, ARGV = keys, args
    OFFSET = nil
    T = string.sub(keys[1] or '', 1, -7)
    TENANT = string.match(T, '^csq:{(.*)}:$')
    NOW = tonumber(args[1])
    ACTOR = args[2]
    ROLE, SESSION = args[3] or '', nil
    local sp = string.find(ROLE, ' ', 1, true)
    if sp then
        ROLE, SESSION = string.sub(ROLE, 1, sp - 1), string.sub(ROLE, sp + 1)
    end
    ID = args[4]
    EXTRA = args[6]
    ORIGIN = foreign(args[7], args[8])
    REF = args[9]
    CUSTOMER, CUSTOMER_CONV = ACTOR, nil
    if ROLE == 'customer' and string.find(ACTOR, '/', 1, true) then
        CUSTOMER, CUSTOMER_CONV = string.match(ACTOR, '^(.-)/(.*)$')
    end
end

-- is conversation cid (hash c) the calling customer's?
local function customer_owns(cid, c)
    return ROLE == 'customer' and c.customer == CUSTOMER
           and (CUSTOMER_CONV == nil or CUSTOMER_CONV == cid)
end

local ROLES = { none = 0, customer = 1, agent = 2, supervisor = 3, admin = 4,
                platform = 5 }

local function key(a, b, c, ...)
    if c == nil then
        return b == nil and T .. a or T .. a .. ':' .. b
    end
    if select('#', ...) == 0 then
        return T .. a .. ':' .. b .. ':' .. c
    end
    return T .. table.concat({ a, b, c, ... }, ':')
end

-- R9.5: does the caller's token still hold?  An agent's, supervisor's or
-- admin's token names a session its login opened (lib/sessions.lua): it
-- holds while the session is there (a logout, a new password, a lower
-- role or the agent's delete ends it) and the agent has at least the
-- token's role.  Other callers have no session here (a platform token's
-- generation is nginx's to check, customers hold one conversation).
local function session_ok()
    local need = ROLES[ROLE]
    if need == nil or need < ROLES.agent or need == ROLES.platform then
        return true
    end
    local ends = SESSION and redis.call('ZSCORE', key('a', ACTOR, 'sessions'),
                                        SESSION)
    if not ends or tonumber(ends) <= NOW then
        return false
    end
    local role = redis.call('HGET', key('a', ACTOR), 'role')
    return (ROLES[role or 'agent'] or 0) >= need
end

-- Redis' cjson writes an empty table as {}: arr() marks empty arrays
local EMPTY = '\001csq-empty-array\001'

local function arr(t)
    if #t == 0 then
        return EMPTY
    end
    return t
end

-- a client frame of a type, with the frame's ref, then the fields of
-- json (an object): {"type":...,"ref":...,<fields>}, type and ref first
local function frame_of(type, json)
    local head = '{"type":"' .. type .. '"'
    if REF ~= '' then
        head = head .. ',"ref":' .. cjson.encode(REF)
    end
    if json == '{}' then
        return head .. '}'
    end
    return head .. ',' .. string.sub(json, 2)
end

-- the reply: the JSON object t; for a socket's client frame, the ack
-- frame with t's fields
-- t as JSON, arr() empty arrays as []
local function encode(t)
    return (string.gsub(cjson.encode(t),
                        '"\\u0001csq%-empty%-array\\u0001"', '[]'))
end

local function reply(status, t)
    local json = encode(t)
    if REF then
        json = frame_of('ack', json)
    end
    return { status, json }
end

-- an error reply; for a socket's client frame, the error frame
local function fail(status, code, message)
    local json = cjson.encode({ error = { code = code, message = message } })
    if REF then
        json = frame_of('error', json)
    end
    return { status, json }
end

-- the answer to a call whose session has ended (R9.5)
local function session_ended()
    return fail(401, 'session_ended',
                'this session has ended (signed out, a new password, '
                .. 'another role or the agent removed): sign in again')
end

local function bad(field, why)
    return fail(400, 'invalid_field', '"' .. field .. '" ' .. why)
end

local function hash(k)
    local flat = redis.call('HGETALL', k)
    if #flat == 0 then
        return nil
    end
    local t = {}
    for i = 1, #flat, 2 do
        t[flat[i]] = flat[i + 1]
    end
    return t
end

-- hash k with its id, or nil
local function record(k, id)
    local t = hash(k)
    if t then
        t.id = id
    end
    return t
end

local function body()
    if ARGV[5] == nil or ARGV[5] == '' then
        return {}
    end
    local ok, v = pcall(cjson.decode, ARGV[5])
    if not ok or type(v) ~= 'table' then
        return nil
    end
    return v
end

local function valid_id(s)
    return type(s) == 'string' and #s >= 1 and #s <= 64
           and string.match(s, '^[%w_%-%.]+$') ~= nil
end

-- field checks: each returns the value, or nil and the reason

local function opt_string(b, f, max)
    local v = b[f]
    if v == nil then return nil end
    if type(v) ~= 'string' or #v > max then
        return nil, 'must be a string of at most ' .. max .. ' bytes'
    end
    return v
end

local function opt_int(b, f, lo, hi)
    local v = b[f]
    if v == nil then return nil end
    if type(v) ~= 'number' or v ~= math.floor(v) or v < lo or v > hi then
        return nil, 'must be an integer from ' .. lo .. ' to ' .. hi
    end
    return v
end

-- a boolean field, kept as '1' or '0'
local function opt_bool(b, f)
    local v = b[f]
    if v == nil then return nil end
    if type(v) ~= 'boolean' then
        return nil, 'must be true or false'
    end
    return v and '1' or '0'
end

local function opt_enum(b, f, set)
    local v = b[f]
    if v == nil then return nil end
    if type(v) ~= 'string' or not set[v] then
        local names = {}
        for n in pairs(set) do names[#names + 1] = n end
        table.sort(names)
        return nil, 'must be one of ' .. table.concat(names, ', ')
    end
    return v
end

-- may a page of ORIGIN call (R1.3)?  Any, until the tenant lists its own
local function origin_ok(t)
    if ORIGIN == '' then
        return true
    end
    local origins = cjson.decode(t.origins or '[]')
    if #origins == 0 then
        return true
    end
    for _, o in ipairs(origins) do
        if origin_of(o) == ORIGIN then
            return true
        end
    end
    return false
end

local function origin_refused()
    return fail(403, 'origin_not_allowed',
                'pages of ' .. ORIGIN .. ' may not use this help desk')
end

local function tenant_exists()
    return redis.call('EXISTS', KEYS[1]) == 1
end

-- optional fields of a body, by a list of { name, kind, ... }:
--   { 'name', 'string', max }, { 'n', 'int', lo, hi }, { 's', 'enum', set },
--   { 'flag', 'bool' } (kept as '1' or '0')
-- returns the values by name, or nil and the 400 reply naming the field
local CHECKS = { string = opt_string, int = opt_int, enum = opt_enum,
                 bool = opt_bool }

local function fields(b, spec)
    local v = {}
    for _, f in ipairs(spec) do
        local x, e = CHECKS[f[2]](b, f[1], f[3], f[4])
        if e then
            return nil, bad(f[1], e)
        end
        v[f[1]] = x
    end
    return v
end

-- "HH:MM" as minutes of the day, or nil
local function minutes(hhmm)
    local h, m = string.match(type(hhmm) == 'string' and hhmm or '',
                              '^(%d%d):(%d%d)$')
    h, m = tonumber(h), tonumber(m)
    if h == nil or m >= 60 or h * 60 + m > 24 * 60 then return nil end
    return h * 60 + m
end

-- weekly slots [{ days: [1-7], from: "HH:MM", to: "HH:MM", ... }] (at most
-- 200): each kept as days, from and to in minutes, and what more(sl, i)
-- returns of it; or nil and the 400 naming field
local function parse_slots(list, field, more)
    if type(list) ~= 'table' or #list > 200 then
        return nil, bad(field, 'needs slots, an array of at most 200')
    end
    local slots = {}
    for i, sl in ipairs(list) do
        if type(sl) ~= 'table' then
            return nil, bad(field, 'slot ' .. i .. ' must be an object')
        end
        local from, to = minutes(sl.from), minutes(sl.to)
        if type(sl.days) ~= 'table' or #sl.days == 0 or from == nil
           or to == nil or to <= from then
            return nil, bad(field, 'slot ' .. i
                                   .. ' needs days 1-7 and "HH:MM" from < to')
        end
        for _, d in ipairs(sl.days) do
            if type(d) ~= 'number' or d < 1 or d > 7 or d ~= math.floor(d) then
                return nil, bad(field, 'slot ' .. i .. ' has a day outside 1-7')
            end
        end
        local kept, e = more(sl, i)
        if e then return nil, bad(field, e) end
        kept.days, kept.from, kept.to = sl.days, from, to
        slots[#slots + 1] = kept
    end
    return slots
end

-- the tenant's weekday (1 Monday .. 7 Sunday), minute of the day and day
-- number now (utc_offset_minutes: no daylight saving; read once a call,
-- however many day counters and schedules ask)
local function local_now()
    if OFFSET == nil then
        OFFSET = tonumber(redis.call('HGET', KEYS[1],
                                     'utc_offset_minutes')) or 0
    end
    local localms = NOW + OFFSET * 60000
    local days = math.floor(localms / 86400000)
    return (days + 3) % 7 + 1, math.floor((localms - days * 86400000) / 60000),
           days
end

-- is the slot (as parse_slots keeps it) on now?
local function slot_on(slot, weekday, minute)
    for _, d in ipairs(slot.days) do
        if d == weekday then
            return minute >= slot.from and minute < slot.to
        end
    end
    return false
end

-- HSET of the fields given (nil: left as they are)
local function hset_given(k, t)
    local args = {}
    for f, v in pairs(t) do
        args[#args + 1] = f
        args[#args + 1] = v
    end
    if #args > 0 then
        redis.call('HSET', k, unpack(args))
    end
end

-- R9.6: an arrival's or a page entry's EXTRA, from nginx: "<verified|->
-- <limit a minute, 0 none> <client address>" (verified: R1.5, the site
-- signed the customer in); returns verified, limit, address
local function client_extra()
    local v, limit, addr = string.match(EXTRA or '', '^(%S+) (%d+) (.*)$')
    return v == 'verified', tonumber(limit) or 0, addr or ''
end

-- R9.6: nil while address addr may do one more of kind this minute, else
-- the 429 (seconds to wait as its r[3]; message, if given, says what of);
-- address_count() counts one.  The count expires with its minute; a
-- refusal writes nothing.  addr may be any id (attach_put.lua: a
-- conversation's).
local function address_full(kind, limit, addr, message)
    if limit == 0 then
        return nil
    end
    local k = key('rl', kind, addr)
    if (tonumber(redis.call('GET', k)) or 0) < limit then
        return nil
    end
    local r = fail(429, 'rate_limited',
                   message or 'too many from this address: try again later')
    r[3] = math.max(1, math.ceil(redis.call('PTTL', k) / 1000))
    return r
end

local function address_count(kind, limit, addr)
    if limit == 0 then
        return
    end
    local k = key('rl', kind, addr)
    if redis.call('INCR', k) == 1 then
        redis.call('PEXPIRE', k, 60000)
    end
end

-- what a tenant's call with a body needs first: the tenant, a body
local function body_prologue()
    if not tenant_exists() then
        return nil, fail(404, 'not_found', 'no such tenant')
    end
    local b = body()
    if b == nil then
        return nil, bad('body', 'must be a JSON object')
    end
    return b
end

-- what a tenant's PUT of <id> needs first: the tenant, a valid id, a body
local function put_prologue()
    if tenant_exists() and not valid_id(ID) then
        return nil, bad('id', 'must be 1-64 of A-Z a-z 0-9 _ - .')
    end
    return body_prologue()
end

-- a matcher of every word of q (in any case) in a text: a function of the
-- text (the small lists' searches: quick replies, articles)
local function words_matcher(q)
    local words = {}
    for w in string.gmatch(string.lower(q or ''), '%S+') do
        words[#words + 1] = w
    end
    return function(text)
        local hay = string.lower(text)
        for _, w in ipairs(words) do
            if not string.find(hay, w, 1, true) then return false end
        end
        return true
    end
end

-- of ids in their order, the items of hash k (JSON values) that keep(item)
-- takes, at most n
local function items_of(ids, k, keep, n)
    local out = {}
    for _, id in ipairs(ids) do
        local raw = redis.call('HGET', k, id)
        local item = raw and cjson.decode(raw)
        if item and keep(item) then
            out[#out + 1] = item
            if #out >= n then break end
        end
    end
    return out
end

-- a query string's parameters (%XX and + decoded)
local function query(qs)
    local t = {}
    for k, v in string.gmatch(qs or '', '([^&=]+)=([^&]*)') do
        v = string.gsub(v, '+', ' ')
        v = string.gsub(v, '%%(%x%x)', function(h)
            return string.char(tonumber(h, 16))
        end)
        t[k] = v
    end
    return t
end

-- a CSV field, quoted when it must be (RFC 4180); a leading = + - @ is
-- defused, so that a spreadsheet does not run it as a formula
local function csv(v)
    v = tostring(v == nil and '' or v)
    -- what a spreadsheet would take as a formula (OWASP: = + - @ TAB CR)
    if string.find(v, '^[=+%-@\t\r]') then
        v = "'" .. v
    end
    if string.find(v, '[",\r\n]') then
        v = '"' .. string.gsub(v, '"', '""') .. '"'
    end
    return v
end

-- a CSV field back as it was before csv() defused it
local function csv_undefuse(v)
    return (string.gsub(v, "^'([=+%-@\t\r])", '%1'))
end

local function csv_line(fields)
    local out = {}
    for i, f in ipairs(fields) do
        out[i] = csv(f)
    end
    return table.concat(out, ',') .. '\r\n'
end

-- A CSV export (GET .../export) in calls of at most CSV_BATCH rows, so
-- that none holds Redis long (R9.6): nginx makes the first call with
-- EXTRA 'csv', and each next one with the EXTRA the call before gave
-- ("csv <cursor> <rows so far>"), then sends the rows of all as one CSV.
local CSV_BATCH = 1000

-- a CSV call?  Then the cursor to go on from (nil: the query's own) and
-- the rows given so far
local function csv_call()
    if EXTRA == 'csv' then
        return true, nil, 0
    end
    local cur, done = string.match(EXTRA or '', '^csv (%S+) (%d+)$')
    if cur then
        return true, cur, tonumber(done)
    end
    return false
end

-- the rows a list call gives: the query's limit (default 50, at most 200;
-- a CSV request's 10,000) and of those, for a CSV call, this call's;
-- returns the rows of this call and of the whole request
local function page_rows(qs, csv_out, csv_done)
    local maxl = csv_out and 10000 or 200
    local total = math.max(1, math.min(tonumber(qs.limit) or
                                       (csv_out and maxl or 50), maxl))
    if csv_out then
        return math.min(CSV_BATCH, total - csv_done), total
    end
    return total, total
end

-- one CSV call's reply: its lines; the cursor after them (nil: no more);
-- and, while fewer than `limit` rows were given in all and more may be
-- there, the EXTRA of the call to make next (else '')
local function csv_reply(lines, next_cursor, done, limit)
    local go = next_cursor and done < limit
               and ('csv ' .. next_cursor .. ' ' .. done) or ''
    return { 200, table.concat(lines), next_cursor or '', go }
end

-- the rows of CSV text s (RFC 4180: quoted fields may hold "", commas and
-- line breaks; CRLF or LF ends a row) from byte pos on, at most max rows:
-- a list of rows (lists of fields) and the position after the last one
-- (nil at the end); nil and the byte position when a quote is unclosed
local function csv_rows(s, pos, max)
    local rows, n = {}, #s
    while pos <= n and #rows < max do
        local row = {}
        while true do
            local v
            if string.sub(s, pos, pos) == '"' then
                local parts, i = {}, pos + 1
                while true do
                    local q = string.find(s, '"', i, true)
                    if q == nil then
                        return nil, pos
                    end
                    parts[#parts + 1] = string.sub(s, i, q - 1)
                    if string.sub(s, q + 1, q + 1) == '"' then
                        parts[#parts + 1] = '"'
                        i = q + 2
                    else
                        pos = q + 1
                        break
                    end
                end
                v = table.concat(parts)
                local e = string.find(s, '[,\r\n]', pos)
                pos = e or n + 1          -- text after the quote is dropped
            else
                local e = string.find(s, '[,\r\n]', pos)
                v = string.sub(s, pos, (e or n + 1) - 1)
                pos = e or n + 1
            end
            row[#row + 1] = v
            local ch = string.sub(s, pos, pos)
            if ch == ',' then
                pos = pos + 1
            else
                if ch == '\r' and string.sub(s, pos + 1, pos + 1) == '\n' then
                    pos = pos + 2
                else
                    pos = pos + 1
                end
                break
            end
        end
        if not (#row == 1 and row[1] == '') then    -- a blank line
            rows[#rows + 1] = row
        end
    end
    return rows, pos <= n and pos or nil
end

-- one function of the library, csq_<VERSION>_<name>: the build's version
-- in every name lets two builds' libraries live side by side in one Redis
-- (a rolling upgrade); flags as Redis takes them ('no-writes', 'allow-oom');
-- own: the function checks the caller's session itself, else an ended
-- session is refused before it runs
local function register(name, flags, own, body)
    redis.register_function({
        function_name = 'csq_' .. VERSION .. '_' .. name,
        flags = flags,
        callback = function(keys, args)
            begin(keys, args)
            if not own and not session_ok() then
                return session_ended()
            end
            return body()
        end })
end
