-- flags: no-writes
-- GET tenants/<t>/marks: the calling agent's pinned (newest pin first)
-- and hidden conversations (R4.7)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

-- those deleted since (retention) are left out (a mark lets them go)
local function alive(k)
    local out = {}
    for _, id in ipairs(redis.call('ZREVRANGE', k, 0, -1)) do
        if redis.call('EXISTS', key('c', id)) == 1 then out[#out + 1] = id end
    end
    return arr(out)
end
return reply(200, { pinned = alive(key('a', ACTOR, 'pins')),
                    hidden = alive(key('a', ACTOR, 'hidden')) })
