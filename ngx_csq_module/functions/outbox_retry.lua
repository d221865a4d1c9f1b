-- flags: none
-- POST tenants/<t>/outbox/<id>/retry (admin): a dead entry goes out again,
-- at the end of its lane, with its attempts counted from 0 and its
-- Idempotency-Key (its id) unchanged; the agent hears it is queued again

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local e = valid_id(ID) and hash(key('ob', ID))
if not e or e.state ~= 'dead' then
    return fail(404, 'not_found', 'no such dead entry')
end
local max = tonumber(redis.call('HGET', KEYS[1], 'outbox_max')) or OB.MAX
if tonumber(redis.call('GET', key('ob', 'n')) or 0) >= max then
    return fail(507, 'outbox_full',
                'too much is waiting to go out: try again later')
end
redis.call('INCR', key('ob', 'n'))
redis.call('ZREM', key('ob', 'dead'), ID)
redis.call('HSET', key('ob', ID), 'state', 'queued', 'attempts', 0)
redis.call('HDEL', key('ob', ID), 'died')
if redis.call('RPUSH', key('ob', 'lane', e.lane), ID) == 1 then
    redis.call('ZADD', key('ob', 'due'), NOW, ID)
end
if e.conv ~= '' and e.entry ~= '' then
    OB.delivery(e.conv, e.entry, 'queued', nil, true)
end
OB.wake()
e = hash(key('ob', ID))
return reply(200, OB.view(ID, e))
