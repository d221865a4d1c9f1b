-- flags: none
-- POST tenants/<t>/sms (agent, R7.3): a text to a customer from a
-- template, { template, customer (its phone) | number, vars: { name:
-- value } (more than the customer's name, phone and the agent's name),
-- channel (an sms channel; default the first) }.  It goes to the SMS
-- gateway (the channel's url) through the outbox as { type: "sms", to,
-- text, template, customer }, and is kept in the customer's records (its last 500).  An
-- agent sends at most 30 a minute.  Returns { id, to, text, state }.

local b, err = body_prologue()
if err then return err end
local ch
ch, err = CALL.channel('sms', b.channel)
if err then return err end
local tpl = valid_id(b.template) and hash(key('sms', 'tpl', b.template))
if not tpl then return fail(404, 'not_found', 'no such template') end
if b.vars ~= nil and type(b.vars) ~= 'table' then
    return bad('vars', 'must be an object')
end
local cust = nil
if b.customer ~= nil then
    cust, err = CALL.customer_arg(b.customer)
    if err then return err end
end
local to = b.number or (cust and cust.phone)
if type(to) ~= 'string' or not norm_phone(to) then
    return bad('number', 'must be a phone number (or a customer with one)')
end
local vars = { name = cust and cust.name, phone = to,
               agent = redis.call('HGET', key('a', ACTOR), 'name') or ACTOR }
for k, v in pairs(b.vars or {}) do
    if type(k) ~= 'string' or (type(v) ~= 'string' and type(v) ~= 'number')
       or #tostring(v) > 200 then
        return bad('vars', 'must map names to strings of at most 200 bytes')
    end
    vars[k] = v
end
local text, missing = CALL.render(tpl.text, vars)
if not text then
    return bad('vars', 'has no value for {{' .. missing .. '}}')
end
local full = address_full('sms', CALL.RATE, ACTOR,
                          'too many texts at once: wait a moment')
if full then return full end

local mid
mid, err = OB.push('sms:' .. to, 'sms', ch.id, {
    type = 'sms', tenant = TENANT, channel = ch.id, to = to, text = text,
    template = b.template, customer = cust and cust.id or cjson.null,
    agent = ACTOR })
if err then return err end
address_count('sms', CALL.RATE, ACTOR)
local item = { id = mid, to = to, text = text, template = b.template,
               agent = ACTOR }
if cust then
    -- the customer's records (records.lua): by when, as JSON
    local sk = key('cust', cust.id, 'sms')
    redis.call('ZADD', sk, NOW, cjson.encode(item))
    redis.call('ZREMRANGEBYRANK', sk, 0, -501)          -- the last 500
end
event('sms', { agent = ACTOR, to = to, request = mid })
item.state = 'queued'
item.customer = cust and cust.id or cjson.null
return reply(202, item)
