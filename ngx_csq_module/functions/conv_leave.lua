-- flags: allow-oom
-- POST tenants/<t>/conversations/<id>/leave: the customer goes away
-- (R4.5, R4.9).  Waiting -> abandoned, kept on the callback list; with an
-- agent -> ended by the customer, and the agent's room is taken up.
-- The customer's own token, or the token of its agent or of a supervisor
-- (who tells that the customer went away), as for an end.

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end

if ROLE == 'customer' and not customer_owns(ID, c)
   or ROLE ~= 'customer' and not own_or_supervisor(c) then
    return fail(403, 'forbidden', 'not your conversation')
end
if ended(c) then return fail(409, 'conflict', 'the conversation has ended') end

local ck = key('c', ID)
local from

if c.state == 'queued' or c.state == 'new' then
    abandon(ID, c)
else
    from = end_conversation(ID, c, 'customer')
end

local v = conversation_view(ID, hash(ck))
v.pulled = from and pull(from) or 0
return reply(200, v)
