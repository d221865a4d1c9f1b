-- flags: no-writes
-- A socket reads a conversation's log after an id (R5.1): a reconnecting
-- client's resume, or the socket's own catch-up after pub/sub dropped
-- messages.  ID: the conversation; body: { after, limit, bytes }; for a
-- client's sync, EXTRA: the room in its socket's send queue (bytes).
-- Returns { 200, '{"more":...}', more (1 or 0), id, frame, id, frame ... }:
-- for a client's sync the JSON is its ack frame.

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end
local _, denied = side_of(c, true)
if denied then return denied end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
if b.after ~= nil and b.after ~= '' and not valid_entry_id(b.after) then
    return bad('after', 'must be a message id')
end
local limit = math.max(1, math.min(math.floor(tonumber(b.limit) or 100), 500))

local frames, more = log_since(ID, b.after, limit,
                               tonumber(EXTRA) or tonumber(b.bytes))
local r = reply(200, { more = more })
r[3] = more and 1 or 0
for _, f in ipairs(frames) do
    r[#r + 1] = f
end
return r
