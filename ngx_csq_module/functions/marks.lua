-- flags: no-writes
-- GET tenants/<t>/marks: the calling agent's pinned (newest pin first)
-- and hidden conversations (R4.7)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
return reply(200, {
    pinned = arr(redis.call('ZREVRANGE', key('a', ACTOR, 'pins'), 0, -1)),
    hidden = arr(redis.call('ZREVRANGE', key('a', ACTOR, 'hidden'), 0, -1)) })
