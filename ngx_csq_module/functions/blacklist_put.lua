-- flags: none
-- PUT tenants/<t>/blacklist/<c>: { reason } (at most 500 bytes): the
-- customer's arrivals are refused from now on, 403 blacklisted with the
-- tenant's blacklist_text, nothing stored or queued (seed 000 §3).  An
-- agent blacklists the customers it may see; its conversations going on
-- now are not ended.  Made for an unknown id, the record is made too.

local b, err = put_prologue()
if err then return err end
if b.reason ~= nil and (type(b.reason) ~= 'string' or #b.reason > 500) then
    return bad('reason', 'must be a string of at most 500 bytes')
end

local id = CUST.id(ID)
local c = CUST.get(id)
if c and not CUST.visible(c) then return CUST.hidden() end
c = CUST.write(id, c, {})

redis.call('HSET', key('cust', id), 'blacklisted', '1',
           'blacklist_reason', b.reason or '', 'blacklisted_by', ACTOR,
           'blacklisted_at', NOW)
redis.call('ZADD', key('blacklist'), NOW, id)
event('blacklisted', { customer = id })
return reply(200, CUST.view(CUST.get(id), true))
