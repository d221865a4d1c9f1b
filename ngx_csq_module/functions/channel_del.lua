-- flags: none
-- DELETE tenants/<t>/channels/<id> (admin): the channel goes; its open
-- conversations stay (their replies to it are dead letters from now:
-- "no_channel"), its entries in the outbox wait there until they die

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
if CH.get(ID) == nil then return fail(404, 'not_found', 'no such channel') end

redis.call('UNLINK', key('ch', ID), key('ch', ID, 'seen'))
redis.call('SREM', key('chs'), ID)
event('channel_deleted', { channel = ID })
return reply(200, { id = ID, deleted = true })
