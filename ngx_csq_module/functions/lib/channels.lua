-- ngx_csq_module: channels (R1.4, R7.1), a part of the Redis function
-- library.
--
-- A channel is another way in and out than the chat page: a WeChat
-- account, a mini program, QQ, an e-mail bridge (type "chat"), the
-- telephony system (type "phone") or the SMS gateway (type "sms").  The
-- tenant's system on the other side posts what its users write to the
-- channel's webhook, signed with the channel's key (nginx checks the
-- signature: ngx_csq_channel.c); what goes back to them is posted to the
-- channel's url through the outbox (outbox.lua).
--
-- csq:{t}:ch:<id>         the channel: name, type, url, queue, enabled,
--                         generation (of its key), prev_generation and
--                         rotated (the key before, honoured a day),
--                         retry_max, retry_base_ms, dedup_hours
-- csq:{t}:chs             the tenant's channels (at most CH.MAX)
-- csq:{t}:ch:<id>:seen    the sender's event ids already taken, by when
--                         (a retried delivery is stored once): kept
--                         dedup_hours, at most dedup_max
--
-- A channel's user is a customer whose id is the alias CH.alias() (a
-- customer with that phone or e-mail when the channel gives one, R6.1:
-- one customer on every channel); its conversations carry the channel
-- ('ob') and the user's id there ('ob_user').

local CH = { MAX = 100, TYPES = { chat = true, phone = true, sms = true },
             KEY_GRACE_MS = 24 * 3600 * 1000 }

function CH.get(id)
    return valid_id(id) and record(key('ch', id), id) or nil
end

-- the channel for an inbound call or a send: nil and the error when it
-- is not there or turned off
function CH.live(id)
    local ch = CH.get(id)
    if ch == nil then
        return nil, fail(404, 'not_found', 'no such channel')
    end
    if ch.enabled == '0' then
        return nil, fail(409, 'channel_disabled', 'the channel is turned off')
    end
    return ch
end

function CH.view(ch)
    return { id = ch.id, name = ch.name or ch.id, type = ch.type or 'chat',
             url = ch.url or '', queue = ch.queue or '',
             enabled = ch.enabled ~= '0',
             generation = tonumber(ch.generation or 1),
             retry_max = tonumber(ch.retry_max or 10),
             retry_base_ms = tonumber(ch.retry_base_ms or 1000),
             dedup_hours = tonumber(ch.dedup_hours or 24),
             dedup_max = tonumber(ch.dedup_max or 100000),
             created = tonumber(ch.created), updated = tonumber(ch.updated) }
end

-- whether a key generation signs for the channel: its own, or the one
-- before for a day after a rotation
function CH.key_ok(ch, gen)
    return gen == tonumber(ch.generation or 1)
           or (gen == tonumber(ch.prev_generation or -1)
               and NOW - tonumber(ch.rotated or 0) < CH.KEY_GRACE_MS)
end

-- the customer id a channel's user arrives with (a valid id, <= 64)
function CH.alias(chid, user)
    if #user <= 31 and string.match(user, '^[%w_.-]+$') then
        return chid .. '.' .. user
    end
    return chid .. '.' .. string.sub(redis.sha1hex(user), 1, 24)
end

-- whether event id eid came before on channel ch (then nil); else it is
-- kept as seen, and the oldest beyond the channel's bounds go
function CH.first(ch, eid)
    local k = key('ch', ch.id, 'seen')
    if redis.call('ZSCORE', k, eid) then
        return nil
    end
    redis.call('ZADD', k, NOW, eid)
    redis.call('ZREMRANGEBYSCORE', k, '-inf',
               '(' .. (NOW - tonumber(ch.dedup_hours or 24) * 3600000))
    local over = redis.call('ZCARD', k) - tonumber(ch.dedup_max or 100000)
    if over > 0 then
        redis.call('ZREMRANGEBYRANK', k, 0, over - 1)
    end
    return true
end

-- the open conversation of customer alias on channel ch, or nil
function CH.open(chid, alias)
    local rid = CUST.id(alias)
    for _, cid in ipairs(redis.call('ZREVRANGE', key('cust', rid, 'convs'),
                                    0, 9)) do
        local c = redis.call('HMGET', key('c', cid), 'ob', 'state',
                             'customer')
        if c[1] == chid and c[2] ~= 'ended' and c[2] ~= 'abandoned'
           and c[3] == alias then
            return cid
        end
    end
    return nil
end

-- a channel's customer's message into its conversation cid, as the
-- socket's (ws_send.lua) would be: logged, pushed, the robot's turn;
-- limits "<messages> <bytes>" of a conversation (0: none)
function CH.say(cid, m, max_msgs, max_bytes)
    local r = redis.call('HMGET', key('c', cid), 'agent', 'msgs',
                         'msg_bytes', 'state')
    local msgs = (tonumber(r[2]) or 0) + 1
    local bytes = (tonumber(r[3]) or 0) + #cjson.encode(m)
    if max_msgs > 0 and (msgs > max_msgs or bytes > max_bytes) then
        return nil, fail(409, 'conversation_full',
                         'this conversation holds all it may: end it')
    end
    local id = log_append(cid, m, { r[1] or '' }, false, 'msgs', msgs,
                          'msg_bytes', bytes, 'heard', NOW)
    if r[4] == 'bot' and m.kind == 'text' then
        bot_turn(cid, hash(key('c', cid)), m.text)
    end
    return id
end

-- the message body b describes: { kind: text, image, file or card, text,
-- url, name, size, title, description, image }, as a socket (ws_send.lua)
-- or a channel sends one; or nil and the 400.  An uploaded attachment is
-- the socket's own (ws_send.lua).
function CH.url(b, f, required)
    local v = b[f]
    if v == nil and not required then return nil end
    if type(v) ~= 'string' or #v > 2000
       or not string.match(v, '^https?://[^%s]+$') then
        return nil, bad(f, 'must be an http or https link')
    end
    return v
end

function CH.content(b)
    local kind = b.kind or 'text'
    local m, f, err = { kind = kind }, nil, nil
    if kind == 'text' then
        if type(b.text) ~= 'string' or #b.text == 0 or #b.text > 10000 then
            return nil, bad('text', 'must be a string of 1 to 10000 bytes')
        end
        m.text = b.text
    elseif kind == 'image' or kind == 'file' then
        m.url, err = CH.url(b, 'url', true)
        if err then return nil, err end
        f, err = fields(b, { { 'name', 'string', 200 },
                             { 'size', 'int', 0, 1e12 } })
        if err then return nil, err end
        m.name, m.size = f.name, f.size
    elseif kind == 'card' then
        m.url, err = CH.url(b, 'url', true)
        if err then return nil, err end
        f, err = fields(b, { { 'title', 'string', 200 },
                             { 'description', 'string', 1000 } })
        if err then return nil, err end
        if f.title == nil or f.title == '' then
            return nil, bad('title', 'is required for a card')
        end
        m.title, m.description = f.title, f.description
        m.image, err = CH.url(b, 'image', false)
        if err then return nil, err end
    else
        return nil, bad('kind', 'must be one of card, file, image, text')
    end
    return m
end
