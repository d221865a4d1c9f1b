-- flags: allow-oom
-- POST tenants/<t>/conversations/<id>/end: the agent (or a supervisor)
-- ends it; the agent's room goes to the next waiting conversation (R4.5)
-- body: { reason }

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
local reason, e = opt_string(b, 'reason', 64)
if e then return bad('reason', e) end

if ended(c) then
    return fail(409, 'conflict', 'the conversation has already ended')
end

if not own_or_supervisor(c) then
    return fail(403, 'forbidden', 'not your conversation')
end

local from = end_conversation(ID, c, reason or 'agent')

local v = conversation_view(ID, hash(key('c', ID)))
v.pulled = from and pull(from) or 0
return reply(200, v)
