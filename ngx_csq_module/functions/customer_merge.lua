-- flags: none
-- POST tenants/<t>/customers/<c>/merge: { from: <customer> }: one person
-- reached two ways becomes one customer (R6.1).  <c> keeps its record and
-- gets what it lacks from the other (name, phone, email, company, remark,
-- avatar, fields, owner), the union of their tags, every conversation,
-- note, page view, ticket and favorite of the other, and its contact ids: the
-- other's ids, phone and email reach <c> from now on.  Both must be the
-- caller's to see; two owners' customers are merged by a supervisor.

local b, err = put_prologue()
if err then return err end
if not valid_id(b.from) then return bad('from', 'must be a customer id') end

local a = CUST.get(CUST.id(ID))
local f = CUST.get(CUST.id(b.from))
if a == nil or f == nil then
    return fail(404, 'not_found', 'no such customer: '
                .. (a == nil and ID or b.from))
end
if a.id == f.id then
    return fail(409, 'same_customer', 'these are one customer already')
end
if not CUST.visible(a) or not CUST.visible(f) then return CUST.hidden() end
if (a.owner or '') ~= '' and (f.owner or '') ~= '' and a.owner ~= f.owner
   and (ROLES[ROLE] or 0) < ROLES.supervisor then
    return fail(403, 'forbidden', 'customers of two owners are merged by '
                .. 'a supervisor')
end

local ik, ch = key('ident'), {}
for _, k in ipairs({ 'name', 'avatar', 'company', 'remark', 'phone', 'email',
                     'owner' }) do
    if (a[k] or '') == '' and (f[k] or '') ~= '' then
        ch[k] = f[k]
    end
end
-- the other's phone and email reach this one too
for _, k in ipairs({ 'phone', 'email' }) do
    local p = k == 'phone' and 'p:' or 'e:'
    if (f[k] or '') ~= '' and redis.call('HGET', ik, p .. f[k]) == f.id then
        redis.call('HSET', ik, p .. f[k], a.id)
    end
end
local tags, seen = {}, {}
for _, l in ipairs({ cjson.decode(a.tags or '[]'),
                     cjson.decode(f.tags or '[]') }) do
    for _, tg in ipairs(l) do
        if not seen[tg] then seen[tg] = true; tags[#tags + 1] = tg end
    end
end
ch.tags = tags
local fields = cjson.decode(f.fields or '{}')
for k, v in pairs(cjson.decode(a.fields or '{}')) do fields[k] = v end
ch.fields = fields
for _, k in ipairs({ 'private', 'library' }) do
    if f[k] == '1' then ch[k] = '1' end
end

-- its contact ids: the other's own and the ones merged into it before
local aliases = cjson.decode(a.aliases or '[]')
local moved = cjson.decode(f.aliases or '[]')
moved[#moved + 1] = f.id
for _, x in ipairs(moved) do
    aliases[#aliases + 1] = x
    redis.call('HSET', ik, 'i:' .. x, a.id)
end
ch.aliases = cjson.encode(aliases)

-- what hangs on the other record
local fk = key('cust', f.id)
for _, s in ipairs({ 'convs', 'notes', 'trail', 'tickets', 'calls', 'sms' }) do
    redis.call('ZUNIONSTORE', key('cust', a.id, s), 2, key('cust', a.id, s),
               fk .. ':' .. s, 'AGGREGATE', 'MIN')
end
for _, cl in ipairs(redis.call('ZRANGE', fk .. ':calls', 0, -1)) do
    redis.call('HSET', key('call', cl), 'customer', a.id)  -- calls.lua
end
redis.call('ZREMRANGEBYRANK', key('cust', a.id, 'trail'), 0, -(TRAIL_MAX + 1))
redis.call('SUNIONSTORE', key('cust', a.id, 'served'),
           key('cust', a.id, 'served'), fk .. ':served')
for _, ag in ipairs(redis.call('SMEMBERS', fk .. ':fans')) do
    local g = redis.call('HGET', key('a', ag, 'fav'), f.id)
    redis.call('HDEL', key('a', ag, 'fav'), f.id)
    if g then
        redis.call('HSETNX', key('a', ag, 'fav'), a.id, g)
        redis.call('SADD', key('cust', a.id, 'fans'), ag)
    end
end
if f.blacklisted == '1' and a.blacklisted ~= '1' then
    ch.blacklisted, ch.blacklist_reason = '1', f.blacklist_reason or ''
    ch.blacklisted_by = f.blacklisted_by or ''
    ch.blacklisted_at = f.blacklisted_at or tostring(NOW)
    redis.call('ZADD', key('blacklist'), NOW, a.id)
end
redis.call('ZREM', key('blacklist'), f.id)

-- the other record goes
CUST.drop(f)

local c = CUST.write(a.id, a, ch)
event('customers_merged', { customer = a.id, from = f.id })
return reply(200, CUST.view(c, true))
