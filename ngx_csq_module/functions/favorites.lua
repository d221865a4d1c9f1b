-- flags: no-writes
-- GET tenants/<t>/favorites: the calling agent's favorite customers and
-- its groups (R6.3, seed 000 §3): { groups: [names], favorites:
-- [{ customer, group, name, phone, owner }] }, by group, then name; a
-- customer that became another agent's is left out (it stays starred)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local a = agent(ACTOR)
if a == nil then return fail(404, 'not_found', 'no such agent') end
local groups = cjson.decode(a.fav_groups or '[]')
local rank = { [''] = 0 }
for i, g in ipairs(groups) do rank[g] = i end

local list = {}
local flat = redis.call('HGETALL', key('a', ACTOR, 'fav'))
for i = 1, #flat, 2 do
    local c = CUST.get(flat[i])
    if c and CUST.visible(c) then
        list[#list + 1] = { customer = c.id, group = flat[i + 1],
                            name = c.name or '', phone = c.phone or '',
                            owner = (c.owner or '') ~= '' and c.owner
                                    or cjson.null }
    end
end
table.sort(list, function(x, y)
    local rx, ry = rank[x.group] or 0, rank[y.group] or 0
    if rx ~= ry then return rx < ry end
    if x.name ~= y.name then return x.name < y.name end
    return x.customer < y.customer
end)
return reply(200, { groups = arr(groups), favorites = arr(list) })
