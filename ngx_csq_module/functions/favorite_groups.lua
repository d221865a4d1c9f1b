-- flags: none
-- PUT tenants/<t>/favorite-groups: { groups: [names], rename: { old: new } }:
-- the calling agent's groups of favorites, in their order (R6.3), at most
-- 50 of 1-64 bytes.  Favorites of a renamed group follow it; those of a
-- group no longer listed have no group.

local b, err = body_prologue()
if err then return err end

local a = agent(ACTOR)
if a == nil then return fail(404, 'not_found', 'no such agent') end
local groups = b.groups
if type(groups) ~= 'table' or #groups > 50 then
    return bad('groups', 'must be an array of at most 50 names')
end
local keep = {}
for _, g in ipairs(groups) do
    if not CUST.tag_ok(g) then
        return bad('groups', 'must hold names of 1-64 bytes')
    end
    if keep[g] then return bad('groups', 'names a group twice') end
    keep[g] = true
end
local rename = b.rename or {}
if type(rename) ~= 'table' then return bad('rename', 'must be an object') end
for old, new in pairs(rename) do
    if type(new) ~= 'string' or not keep[new] then
        return bad('rename', 'must map old names to names in "groups"')
    end
end

local fk = key('a', ACTOR, 'fav')
local flat = redis.call('HGETALL', fk)
for i = 1, #flat, 2 do
    local g = rename[flat[i + 1]] or flat[i + 1]
    if not keep[g] then g = '' end
    if g ~= flat[i + 1] then redis.call('HSET', fk, flat[i], g) end
end
redis.call('HSET', key('a', ACTOR), 'fav_groups',
           #groups == 0 and '[]' or cjson.encode(groups))
return reply(200, { groups = arr(groups) })
