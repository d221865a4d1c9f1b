-- flags: none
-- DELETE tenants/<t>/links/<id>: the link stops working (admin, R1.2);
-- its page then says the account has been deleted, for good

local l, err = live_link(ID)
if err then return err end

redis.call('HSET', key('link', ID), 'deleted', NOW)
redis.call('SREM', key('links'), ID)
event('link_deleted', { link = ID })

return reply(200, link_view(ID, hash(key('link', ID))))
