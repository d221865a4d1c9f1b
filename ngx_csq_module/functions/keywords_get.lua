-- flags: no-writes
-- GET tenants/<t>/keywords: the robot's keyword rules (admin)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local k = redis.call('HGET', KEYS[1], 'keywords')
return reply(200, { rules = arr(cjson.decode(k or '[]')) })
