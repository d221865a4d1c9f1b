-- flags: none
-- POST tenants/<t>/calls/callback (R7.2, R7.5): one click calls a
-- customer back: a request for an outbound call goes to the telephony
-- system (the phone channel's url) through the outbox, { type:
-- "call_request", agent, extension, number, customer, callback_of }.
-- body: { number | customer (its phone), call (the lost call called
-- back, then its number by default), channel (a phone channel; default
-- the first) }.  An agent makes at most 30 a minute.
-- Returns { request (the outbox entry), number, customer }.

local b, err = body_prologue()
if err then return err end
local ch
ch, err = CALL.channel('phone', b.channel)
if err then return err end

local lost = b.call ~= nil and CALL.get(b.call)
if b.call ~= nil and not lost then
    return fail(404, 'not_found', 'no such call')
end
local cust = nil
if b.customer ~= nil then
    cust, err = CALL.customer_arg(b.customer)
    if err then return err end
elseif lost and (lost.customer or '') ~= '' then
    cust = CUST.get(lost.customer)
end
local number = b.number or (lost and lost.number) or (cust and cust.phone)
if type(number) ~= 'string' or not norm_phone(number) then
    return bad('number', 'must be a phone number (or a customer with one)')
end
local full = address_full('callback', CALL.RATE, ACTOR,
                          'too many calls at once: wait a moment')
if full then return full end

local ext = redis.call('HGET', key('a', ACTOR), 'extension') or ''
local mid
mid, err = OB.push('call:' .. ACTOR, 'call', ch.id, {
    type = 'call_request', tenant = TENANT, channel = ch.id,
    agent = ACTOR, extension = ext, number = number,
    customer = cust and cust.id or cjson.null,
    callback_of = lost and lost.id or cjson.null })
if err then return err end
address_count('callback', CALL.RATE, ACTOR)
if lost then
    -- the lost call's entry on the callback list says who tried, when
    local cb = key('cb', 'call.' .. lost.id)                -- followup.lua
    if redis.call('EXISTS', cb) == 1 then
        redis.call('HSET', cb, 'tried_by', ACTOR, 'tried_at', NOW)
    end
end
event('callback_requested', { agent = ACTOR, number = number,
                              request = mid })
return reply(202, { request = mid, number = number,
                    customer = cust and cust.id or cjson.null,
                    extension = ext })
