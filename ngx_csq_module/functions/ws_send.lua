-- flags: none
-- A message from a socket (R5.1, R5.2): checked, appended to the
-- conversation's log and pushed to the customer's and the agent's sockets,
-- all in this one call, with the robot's turn when it serves the
-- conversation.  Returns, once stored, { 200, ack frame, the previous
-- entry's id ('' for none), the entry's id, its message frame }: the
-- sending socket may pass the entry on with the ack when it has every
-- entry up to the previous one (its copy through pub/sub is then skipped).
-- ID: the conversation; body: { kind, text | url, name, size | attachment,
-- title, description, image }, or, for a text, no body and the text as EXTRA
-- (the socket's fast path: nothing to decode); the ref is ARGV[9].
-- This is the hot path: it reads only the fields it needs.

local r = redis.call('HMGET', key('c', ID), 'state', 'customer', 'agent',
                     'bound', 'last_id', 'msgs', 'msg_bytes', 'rl_at',
                     'rl_left', 'first_reply', 'assigned', 'queue', 'sxm')
if not r[1] then return fail(404, 'not_found', 'no such conversation') end
local c = { state = r[1], customer = r[2], agent = r[3] or nil,
            bound = r[4] or nil, last_id = r[5] or nil }
local _, denied = side_of(c)
if denied then return denied end
if ended(c) then return fail(409, 'conflict', 'the conversation has ended') end

-- the socket's limits (ARGV[10], none for a trusted client, R9.6): a
-- conversation's log holds at most so many messages and bytes, and its
-- customer, on however many sockets, sends at most rate a second (a
-- token bucket of burst, in the conversation)
local msgs = (tonumber(r[6]) or 0) + 1
local msg_bytes = (tonumber(r[7]) or 0) + #ARGV[5] + #EXTRA
local rl_at, rl_left = r[8] or 0, r[9] or 0
local rate, burst, max_msgs, max_bytes =
    string.match(ARGV[10] or '', '^(%d+) (%d+) (%d+) (%d+)$')
if rate then
    if msgs > tonumber(max_msgs) or msg_bytes > tonumber(max_bytes)
    then
        return fail(409, 'conversation_full',
                    'this conversation holds all it may: start a new one')
    end
    if ROLE == 'customer' then
        burst = tonumber(burst)
        local left = math.min(burst, (tonumber(r[9]) or burst)
                              + (NOW - (tonumber(r[8]) or NOW))
                                * tonumber(rate) / 1000)
        if left < 1 then
            return fail(429, 'rate_limited', 'too many messages: wait a moment')
        end
        rl_at, rl_left = NOW, left - 1
    end
end

local b = { kind = 'text', text = EXTRA }
if ARGV[5] ~= '' then
    b = body()
    if b == nil then return bad('body', 'must be a JSON object') end
end

local kind = b.kind or 'text'
local m, err
if (kind == 'image' or kind == 'file') and b.attachment ~= nil then
    -- one uploaded to this conversation (attach_put.lua); an image only
    -- if its bytes are one
    local a = type(b.attachment) == 'string' and valid_id(b.attachment)
              and redis.call('HMGET', key('att', b.attachment), 'conv',
                             'name', 'size', 'type', 'image')
    if not a or a[1] ~= ID then
        return bad('attachment', 'must be an attachment of this conversation')
    end
    if kind == 'image' and a[5] ~= '1' then
        return bad('attachment', 'is not an image')
    end
    m = { kind = kind, attachment = b.attachment, name = a[2],
          size = tonumber(a[3]), mime = a[4] }
else
    m, err = CH.content(b)                              -- channels.lua
    if err then return err end
end

if REF ~= nil and REF ~= '' then
    m.ref = REF
end

local spoke = ROLE == 'customer'
if spoke then
    m.from = { role = 'customer', id = CUSTOMER }
    -- silence, for the automatic end, counts from the customer's last
    -- word: the conversation's "heard" time, which the tick reads before
    -- it ends one; the index of silences is left alone
else
    m.from = agent_card(ACTOR)
    m.from.role = 'agent'
end

-- the conversation's agent; a supervisor writing in also gets it back
local to = { c.agent or '' }
if ROLE ~= 'customer' then
    to[2] = ACTOR
end
-- the counts (and for a customer when it spoke and its bucket; for its
-- agent's first answer its time, R8.2) go with the log's last id, in one
-- HSET; a text marks the conversation for search once (sxm: search.lua
-- clears it when it has indexed it), and a marked one makes no SADD
local set = { 'msgs', msgs, 'msg_bytes', msg_bytes }
local has_log = c.last_id ~= nil
if m.text or m.title then
    has_log = has_log and (r[13] and 'marked' or true)
    set[#set + 1], set[#set + 2] = 'sxm', 1
end
local first = not spoke and not r[10] and r[11] and ACTOR == c.agent
if spoke then
    for _, x in ipairs({ 'heard', NOW, 'rl_at', rl_at, 'rl_left', rl_left }) do
        set[#set + 1] = x
    end
elseif first then
    set[#set + 1], set[#set + 2] = 'first_reply', NOW
end
local id, frame = log_append(ID, m, to, has_log, unpack(set))
if first then
    -- its agent's first answer (R8.2): the time since it was assigned
    local fr = math.max(0, NOW - (tonumber(r[11]) or NOW))
    count_day(ACTOR, 'fr_ms', fr)
    count_day(ACTOR, 'fr_n', 1)
    if r[12] and r[12] ~= '' then
        count_day(r[12], 'fr_ms', fr, 'q')
        count_day(r[12], 'fr_n', 1, 'q')
    end
end

-- the robot answers what it serves (R4.1, R4.2), in this same call: a
-- hand-off keyword moves it to human routing, else the keyword rules answer
if spoke and c.state == 'bot' and kind == 'text' then
    bot_turn(ID, hash(key('c', ID)), m.text)
end

-- the ack: {"type":"ack","ref":...,"id":...}; an entry id needs no escapes
return { 200, frame_of('ack', '{"id":"' .. id .. '"}'), c.last_id or '', id,
         frame }
