-- flags: allow-oom
-- POST tenants/<t>/conversations/<id>/end: the agent (or a supervisor)
-- ends it; the agent's room goes to the next waiting conversation (R4.5)
-- body: { reason, topic, status, note }: the wrap-up (wrapup.lua) is set
-- with it; the service note's required fields must be filled by then
-- (409 note_required names them; nothing changes)

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

local conf = wrapup_conf()
local set
set, e = wrapup_check(b, c, conf)
if e then return e end
local missing = wrapup_missing(c, set, conf)
if #missing > 0 then
    local r = fail(409, 'note_required', 'the service note needs: '
                   .. table.concat(missing, ', '))
    return r
end
if #set > 0 then
    redis.call('HSET', key('c', ID), unpack(set))
end

local from = end_conversation(ID, c, reason or 'agent')

local v = conversation_view(ID, hash(key('c', ID)))
v.pulled = from and pull(from) or 0
return reply(200, v)
