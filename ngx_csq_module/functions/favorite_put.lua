-- flags: none
-- PUT tenants/<t>/favorites/<c>: { group } ('' or absent: no group): the
-- calling agent stars a customer it may see (R6.3), at most 1,000
-- favorites an agent (409 too_many_favorites)

local b, err = put_prologue()
if err then return err end

local a = agent(ACTOR)
if a == nil then return fail(404, 'not_found', 'no such agent') end
local c = CUST.get(CUST.id(ID))
if c == nil then return fail(404, 'not_found', 'no such customer') end
if not CUST.visible(c) then return CUST.hidden() end

local g = b.group or ''
if type(g) ~= 'string' then return bad('group', 'must be a group name') end
if g ~= '' then
    local ok = false
    for _, x in ipairs(cjson.decode(a.fav_groups or '[]')) do
        if x == g then ok = true end
    end
    if not ok then return bad('group', 'is not one of your groups') end
end

local fk = key('a', ACTOR, 'fav')
if redis.call('HEXISTS', fk, c.id) == 0 and redis.call('HLEN', fk) >= 1000 then
    return fail(409, 'too_many_favorites', 'at most 1000 favorites')
end
redis.call('HSET', fk, c.id, g)
redis.call('SADD', key('cust', c.id, 'fans'), ACTOR)
return reply(200, { customer = c.id, group = g })
