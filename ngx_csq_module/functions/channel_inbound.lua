-- flags: none
-- POST tenants/<t>/channels/<id>/inbound: what a channel's user did (R1.4),
-- posted by the tenant's system and signed with the channel's key (nginx
-- checked the signature and its time: ngx_csq_channel.c).
-- EXTRA: "<key generation> <messages> <bytes>" (a conversation's limits).
-- body: { id (the sender's event id, 1-200 bytes: a retried delivery is
--         stored once), type ("message", the default, "delivery" or,
--         for a phone channel, "call"),
--   message: user: { id (1-200), name, phone, email },
--            message: { kind, text, url, name, size, title, description,
--            image } (as on the socket)
--   delivery: conversation, entry (a message sent to the channel),
--            status (delivered, read, failed)
--   call:    call: { id (the system's call id, 1-59 of A-Z a-z 0-9 _ - .),
--            event (ringing, answered, hungup), direction (inbound,
--            outbound), from, to, extension (the agent's), recording
--            (a url), result (the system's word for how it ended) } }
-- A message goes into the user's open conversation on the channel, or
-- arrives as a new one, routed as a chat arrival is (rules on channel,
-- owner, last agent, queue) with no page socket to wait for.
-- Returns { id, duplicate } for an event seen before, else { id,
-- conversation, entry, customer, created }, { id, delivery } or { id,
-- call } (calls.lua).

local b, err = body_prologue()
if err then return err end
local ch
ch, err = CH.live(ID)
if err then return err end
local gen, max_msgs, max_bytes = string.match(EXTRA, '^(%d+) (%d+) (%d+)$')
if not gen or not CH.key_ok(ch, tonumber(gen)) then
    return fail(401, 'bad_signature',
                'the signature is not of the channel\'s key')
end

if type(b.id) ~= 'string' or #b.id == 0 or #b.id > 200 then
    return bad('id', 'must be the event\'s id, 1-200 bytes')
end
if redis.call('ZSCORE', key('ch', ID, 'seen'), b.id) then
    return reply(200, { id = b.id, duplicate = true })
end

local typ = b.type or 'message'

if typ == 'delivery' then
    local st = b.status
    if st ~= 'delivered' and st ~= 'read' and st ~= 'failed' then
        return bad('status', 'must be one of delivered, failed, read')
    end
    if not valid_id(b.conversation) or type(b.entry) ~= 'string'
       or redis.call('HGET', key('c', b.conversation), 'ob') ~= ID
       or not redis.call('HGET', key('c', b.conversation, 'dlv'), b.entry)
    then
        return fail(404, 'not_found', 'no such message sent to the channel')
    end
    CH.first(ch, b.id)
    OB.delivery(b.conversation, b.entry, st)
    return reply(200, { id = b.id, delivery = st })
end

if typ == 'call' then
    -- R7.1: a call event of the telephony system (calls.lua)
    if ch.type ~= 'phone' then
        return fail(409, 'conflict', 'only a phone channel takes calls')
    end
    local e = b.call
    if type(e) ~= 'table' or not valid_id(e.id) or #e.id > 59 then
        return bad('call', 'must be { id: 1-59 of A-Z a-z 0-9 _ - ., ... }')
    end
    if not CALL.EVENTS[e.event] then
        return bad('call.event', 'must be one of answered, hungup, ringing')
    end
    if not CALL.DIRECTIONS[e.direction] then
        return bad('call.direction', 'must be inbound or outbound')
    end
    local f
    f, err = fields(e, { { 'from', 'string', 64 }, { 'to', 'string', 64 },
                         { 'extension', 'string', 32 },
                         { 'result', 'string', 32 } })
    if err then return err end
    if e.recording ~= nil then
        f.recording, err = CH.url(e, 'recording', true)
        if err then return err end
    end
    f.id, f.event, f.direction = e.id, e.event, e.direction
    local v, new = CALL.event(ch, f)
    CH.first(ch, b.id)
    return reply(new and 201 or 200, { id = b.id, call = v })
end

if typ ~= 'message' then
    return bad('type', 'must be one of call, delivery, message')
end
if ch.type ~= nil and ch.type ~= 'chat' then
    return fail(409, 'conflict', 'a ' .. ch.type .. ' channel takes no '
                .. 'messages')
end
local u = b.user
if type(u) ~= 'table' or type(u.id) ~= 'string' or #u.id == 0
   or #u.id > 200 then
    return bad('user', 'must be { id: the user\'s id on the channel, ... }')
end
if type(b.message) ~= 'table' then
    return bad('message', 'must be an object')
end
local m
m, err = CH.content(b.message)
if err then return err end

local alias = CH.alias(ID, u.id)
local cid = CH.open(ID, alias)
local created = cid == nil
if created then
    local r = ARR.run({ customer = alias, channel = ID, name = u.name,
                        phone = u.phone, email = u.email,
                        queue = (ch.queue or '') ~= '' and ch.queue or nil },
                      { verified = true, limit = 0, addr = '', ob = ID,
                        ob_user = u.id })
    if r[1] >= 300 then
        return r
    end
    cid = string.match(r[3], '/(.*)$')
end

m.from = { role = 'customer', id = alias }
local id
id, err = CH.say(cid, m, tonumber(max_msgs), tonumber(max_bytes))
if err then return err end
CH.first(ch, b.id)
return reply(created and 201 or 200, {
    id = b.id, conversation = cid, entry = id, customer = CUST.id(alias),
    created = created })
