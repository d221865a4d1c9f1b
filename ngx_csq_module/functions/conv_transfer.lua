-- flags: none
-- POST tenants/<t>/conversations/<id>/transfer: to an agent or a queue
-- (its agent or a supervisor, R4.4); body: { agent } or { queue }, and
-- a note (at most 2,000 bytes) for whoever takes it: a private note of
-- the conversation (conv_note.lua), never the customer's to see.
-- To an agent: that agent must be on duty with room (409 otherwise).
-- To a queue: routed there as a new arrival would be.

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
if (b.agent == nil) == (b.queue == nil) then
    return bad('agent', 'or "queue" is required, not both')
end
if b.agent ~= nil and not valid_id(b.agent) then return bad('agent', 'must be an agent id') end
if b.queue ~= nil and not valid_id(b.queue) then return bad('queue', 'must be a queue id') end
local note, e = opt_string(b, 'note', 2000)
if e then return bad('note', e) end

if ended(c) then return fail(409, 'conflict', 'the conversation has ended') end
if not own_or_supervisor(c) then
    return fail(403, 'forbidden', 'not your conversation')
end

local t = hash(KEYS[1])
local target, q

if b.agent then
    target = agent(b.agent)
    if target == nil then return fail(404, 'not_found', 'no such agent: ' .. b.agent) end
    if target.id == c.agent then
        return fail(409, 'conflict', 'the conversation is already with that agent')
    end
    if not has_room(target) then
        return fail(409, 'agent_unavailable', 'that agent is offline, not receiving or full')
    end
else
    q = hash(key('q', b.queue))
    if q == nil then return fail(404, 'not_found', 'no such queue: ' .. b.queue) end
end

-- checked: move it

local from = release(ID, c)
unqueue(ID, c)
c.bound, c.agent = nil, nil
redis.call('HDEL', key('c', ID), 'bound', 'agent')
event('transferred', { conversation = ID, from = from or '',
                       to_agent = b.agent or '', to_queue = b.queue or '' })

local extra = {}
if target then
    assign(ID, c, target, 'transfer')
else
    extra.auto_reply = route_in_queue(ID, c, b.queue, q, t)
end

-- the note rides as a private note, pushed to whoever has it now (not
-- past the conversation's 200 notes: then the transfer goes without it)
if note and note ~= ''
   and redis.call('ZCARD', key('c', ID, 'notes')) < 200 then
    local n = { id = 'n' .. redis.call('HINCRBY', KEYS[1], 'noteseq', 1),
                at = NOW, agent = ACTOR, text = note, transfer = true }
    redis.call('ZADD', key('c', ID, 'notes'), NOW, cjson.encode(n))
    local now_agent = redis.call('HGET', key('c', ID), 'agent')
    if now_agent then
        live('a', now_agent, { type = 'note', conversation = ID, note = n })
    end
end

local pulled = from and pull(from) or 0

local v = conversation_view(ID, hash(key('c', ID)))
for k, x in pairs(extra) do v[k] = x end
v.pulled = pulled
return reply(200, v)
