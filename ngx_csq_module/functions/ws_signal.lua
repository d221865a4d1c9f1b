-- flags: none
-- Typing and read receipts from a socket (R5.2): passed on, not kept,
-- except the read position of each side.  ID: the conversation;
-- body: { type = 'typing', typing } or { type = 'read', id }.

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end
local side, denied = side_of(c)
if denied then return denied end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end

local frame
if b.type == 'typing' then
    if type(b.typing) ~= 'boolean' then
        return bad('typing', 'must be true or false')
    end
    frame = { type = 'typing', conversation = ID, from = side,
              typing = b.typing }
    if side == 'customer' then
        if c.agent and c.agent ~= '' then live('a', c.agent, frame) end
    else
        live('c', ID, frame)
    end
    return reply(200, {})
end

if b.type ~= 'read' then return bad('type', 'must be read or typing') end
if not valid_entry_id(b.id) then return bad('id', 'must be a message id') end

redis.call('HSET', key('c', ID), 'read_' .. side, b.id)
frame = { type = 'read', conversation = ID, by = side, id = b.id }
live('c', ID, frame)
if c.agent and c.agent ~= '' then live('a', c.agent, frame) end
return reply(200, {})
