-- flags: none
-- POST tenants/<t>/customers/<c>/notes: { text } (1-2,000 bytes): a note
-- on the customer, by the calling agent (R6.5), at most 1,000 a customer
-- (409 too_many_notes).  -> the note { id, at, agent, text }

local b, err = put_prologue()
if err then return err end

local c = CUST.get(CUST.id(ID))
if c == nil then return fail(404, 'not_found', 'no such customer') end
if not CUST.visible(c) then return CUST.hidden() end
if type(b.text) ~= 'string' or #b.text < 1 or #b.text > 2000 then
    return bad('text', 'must be a string of 1-2000 bytes')
end
local nk = key('cust', c.id, 'notes')
if redis.call('ZCARD', nk) >= CUST_NOTES_MAX then
    return fail(409, 'too_many_notes', 'this customer has '
                .. CUST_NOTES_MAX .. ' notes: no more can be added')
end

local n = { id = 'n' .. redis.call('HINCRBY', KEYS[1], 'noteseq', 1),
            at = NOW, agent = ACTOR, text = b.text }
redis.call('ZADD', nk, NOW, cjson.encode(n))
event('customer_note', { customer = c.id, note = n.id })
return reply(201, n)
