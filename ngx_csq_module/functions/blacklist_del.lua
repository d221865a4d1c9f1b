-- flags: none
-- DELETE tenants/<t>/blacklist/<c>: the customer may come again
-- (supervisor)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local id = cust_id(ID)
if redis.call('ZREM', key('blacklist'), id) == 0 then
    return fail(404, 'not_found', 'this customer is not blacklisted')
end
redis.call('HDEL', key('cust', id), 'blacklisted', 'blacklist_reason',
           'blacklisted_by', 'blacklisted_at')
local c = cust_get(id)
if c then cust_write(id, c, {}) end      -- retention may take it again
event('unblacklisted', { customer = id })
return reply(200, cust_view(cust_get(id), true))
