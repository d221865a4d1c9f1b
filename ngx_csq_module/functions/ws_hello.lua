-- flags: none
-- A socket is open and listening: what it needs to start (R5.1, R2.6).
-- Customer (ID: the conversation): the conversation and its log after
-- body.after (or its newest entries), as much as body.bytes holds; the
-- socket counts as present.
-- Agent: itself, its conversations and own waiting list, the tenant's
-- lang (R10.1: the workbench's language), how many of its contact plans
-- are due (R7.4: a reminder its sockets missed is not lost); the socket
-- holds a lease (body.sock, body.lease ms) and an agent that presence had
-- set offline gets its status back.
-- Returns { 200, hello frame } (agent) or { 200, hello frame, more (1 or
-- 0), id, frame, id, frame ... } (customer).

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
local limit = math.max(1, math.min(math.floor(tonumber(b.limit) or 100), 500))
if b.after ~= nil and b.after ~= '' and not valid_entry_id(b.after) then
    return bad('after', 'must be a message id')
end

if ROLE == 'customer' then
    local c = hash(key('c', ID))
    if c == nil or not customer_owns(ID, c) then
        return fail(404, 'not_found', 'no such conversation')
    end
    -- present while the socket renews its lease (ws_presence); if its
    -- worker dies, the tick finds the lease run out
    if type(b.sock) == 'string' and b.sock ~= '' then
        local lease = NOW + (tonumber(b.lease) or 60000)
        redis.call('HSET', key('c', ID), 'connected', '1')
        redis.call('HSET', key('c', ID, 'socks'), b.sock, lease)
        redis.call('ZADD', key('presence'), lease, 'c:' .. ID)
    end

    local frames, more = log_since(ID, b.after, limit, tonumber(b.bytes))
    local r = reply(200, { type = 'hello', role = 'customer',
                           conversation = conversation_view(ID, c),
                           more = more })
    r[3] = more and 1 or 0
    for _, f in ipairs(frames) do
        r[#r + 1] = f
    end
    return r
end

local a = agent(ACTOR)
if a == nil then return fail(404, 'not_found', 'no such agent') end

if type(b.sock) == 'string' and b.sock ~= '' then
    redis.call('HSET', key('a', ACTOR, 'socks'), b.sock,
               NOW + (tonumber(b.lease) or 60000))
    redis.call('ZADD', key('presence'), NOW + (tonumber(b.lease) or 60000),
               'a:' .. ACTOR)
end

local restored = false
if a.auto_offline == '1' then
    redis.call('HDEL', key('a', ACTOR), 'auto_offline')
    set_status(ACTOR, a, a.prev_status or 'online')
    pull(ACTOR)
    restored = true
    a = agent(ACTOR)
end

local convs, waiting = agent_conversations(ACTOR, 100)

return reply(200, {
    type = 'hello', role = ROLE,
    agent = { id = ACTOR, name = a.name or ACTOR, avatar = a.avatar or '',
              status = a.status, reception = a.reception ~= '0',
              load = num(a.load, 0), capacity = num(a.capacity, 0) },
    restored = restored,
    lang = redis.call('HGET', KEYS[1], 'lang') or '',
    conversations = convs, waiting = waiting,
    plans_due = FU.due_count(ACTOR) })          -- R7.4, followup.lua
