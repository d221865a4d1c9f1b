-- flags: none
-- POST tenants/<t>/conversations/<id>/wrapup: { topic, status, note }:
-- the conversation's wrap-up (R4.6), set by its agent or a supervisor
-- while it goes on; once it has ended, 409 locked.  -> the wrap-up

local b, err = body_prologue()
if err then return err end
local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end
if not own_or_supervisor(c) then
    return fail(403, 'forbidden', 'not your conversation')
end
if ended(c) then
    return fail(409, 'locked', 'the conversation has ended: its wrap-up '
                .. 'is kept as it was')
end

local set
set, err = wrapup_check(b, c, wrapup_conf())
if err then return err end
if #set > 0 then
    redis.call('HSET', key('c', ID), unpack(set))
end
return reply(200, wrapup_view(hash(key('c', ID))))
