-- flags: none
-- DELETE tenants/<t>/blacklist/<c>: the customer may come again
-- (supervisor)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local id = CUST.id(ID)
if redis.call('ZREM', key('blacklist'), id) == 0 then
    return fail(404, 'not_found', 'this customer is not blacklisted')
end
redis.call('HDEL', key('cust', id), 'blacklisted', 'blacklist_reason',
           'blacklisted_by', 'blacklisted_at')
local c = CUST.get(id)
if c then CUST.write(id, c, {}) end      -- retention may take it again
event('unblacklisted', { customer = id })
return reply(200, CUST.view(CUST.get(id), true))
