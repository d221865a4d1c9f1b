-- flags: none
-- POST tenants/<t>/tickets: a new ticket (R6.5), by the calling agent:
-- { title (1-200 bytes), description (10,000), status (open, pending,
-- solved; open), priority (low, normal, high, urgent; normal), assignee
-- (an agent or null), customer (a customer the caller may see), and a
-- link: conversation (one the caller may read: its customer is the
-- ticket's, customer may then be left out) or call (an id of a call,
-- hash csq:{t}:call:<id>: its customer is the ticket's when it names
-- one) }.  At most the tenant's tickets_max (409 too_many_tickets).  The
-- assignee, when not the caller, gets a 'ticket' frame (event assigned).
-- -> 201 the ticket (TK.full)

local b, err = body_prologue()
if err then return err end
local f
f, err = TK.check(b)
if err then return err end
if f.title == nil then
    return bad('title', 'must be a string of 1-200 bytes')
end

-- the link, and the customer it gives
local customer = b.customer
if customer ~= nil and not valid_id(customer) then
    return bad('customer', 'must be a customer id')
end
local conv, call = '', ''
if b.conversation ~= nil and b.conversation ~= cjson.null then
    if not valid_id(b.conversation) then
        return bad('conversation', 'must be a conversation id')
    end
    local c = hash(key('c', b.conversation))
    if c == nil then
        return fail(404, 'not_found', 'no such conversation')
    end
    if not conv_readable(b.conversation, c) then
        return fail(403, 'forbidden', 'not a conversation you may read')
    end
    if customer and CUST.id(customer) ~= CUST.id(c.customer) then
        return bad('customer', 'is not the conversation\'s customer')
    end
    conv, customer = b.conversation, customer or c.customer
end
if b.call ~= nil and b.call ~= cjson.null then
    if not valid_id(b.call) then return bad('call', 'must be a call id') end
    if redis.call('EXISTS', key('call', b.call)) == 0 then
        return fail(404, 'not_found', 'no such call')
    end
    call = b.call
    customer = customer or redis.call('HGET', key('call', call), 'customer')
end
if customer == nil then
    return bad('customer', 'is required (or a conversation or call of one)')
end
local cu = CUST.get(CUST.id(customer))
if cu == nil then return fail(404, 'not_found', 'no such customer') end
if not CUST.visible(cu) then return CUST.hidden() end

local max = tonumber(redis.call('HGET', KEYS[1], 'tickets_max')) or TK.MAX
if redis.call('ZCARD', key('tks')) >= max then
    return fail(409, 'too_many_tickets', 'this help desk has ' .. max
                .. ' tickets: no more can be made until solved ones go')
end

local id = 't' .. redis.call('HINCRBY', KEYS[1], 'tkseq', 1)
local tk = { id = id, title = f.title, description = f.description or '',
             status = f.status or 'open', priority = f.priority or 'normal',
             assignee = f.assignee or '', customer = cu.id, conversation = conv,
             call = call, created_by = ACTOR, created = tostring(NOW),
             updated = tostring(NOW), ncomments = '0', nchanges = '0' }
if tk.status == 'solved' then tk.solved = tostring(NOW) end
hset_given(key('tk', id), tk)
TK.index(tk)
event('ticket_created', { ticket = id, customer = cu.id })
TK.tell(tk, 'assigned')
return reply(201, TK.full(tk))
