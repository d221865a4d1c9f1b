-- flags: none
-- POST tenants/<t>/conversations/<id>/notes: { text } (1-2,000 bytes): a
-- private note inside a conversation, for agents only: never in its log,
-- never sent to the customer.  Whoever may read the conversation may
-- write one (records.lua); its agent gets it live ("note" frame).  At
-- most 200 a conversation (409 too_many_notes).  -> the note

local b, c, err = readable_prologue()
if err then return err end
if type(b.text) ~= 'string' or #b.text < 1 or #b.text > 2000 then
    return bad('text', 'must be a string of 1-2000 bytes')
end
local nk = key('c', ID, 'notes')
if redis.call('ZCARD', nk) >= 200 then
    return fail(409, 'too_many_notes', 'this conversation has 200 notes')
end

local n = { id = 'n' .. redis.call('HINCRBY', KEYS[1], 'noteseq', 1),
            at = NOW, agent = ACTOR, text = b.text }
redis.call('ZADD', nk, NOW, cjson.encode(n))
if (c.agent or '') ~= '' then
    live('a', c.agent, { type = 'note', conversation = ID, note = n })
end
if ACTOR ~= c.agent and ACTOR ~= '' then
    live('a', ACTOR, { type = 'note', conversation = ID, note = n })
end
return reply(201, n)
