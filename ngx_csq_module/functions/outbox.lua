-- flags: no-writes
-- GET tenants/<t>/outbox?state=dead|queued&before=<ms>&limit= (admin):
-- the outbox's dead letters (the default), newest first, or what waits
-- to go out, soonest first (outbox.lua); with the number waiting
-- { entries: [...], waiting, dead, next (cursor) }

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local qs = query(ARGV[5])
local state = qs.state or 'dead'
if state ~= 'dead' and state ~= 'queued' then
    return bad('state', 'must be dead or queued')
end
local limit = math.max(1, math.min(tonumber(qs.limit) or 50, 200))
local ids
if state == 'dead' then
    ids = redis.call('ZREVRANGEBYSCORE', key('ob', 'dead'),
                     qs.before and '(' .. tonumber(qs.before) or '+inf',
                     '-inf', 'WITHSCORES', 'LIMIT', 0, limit)
else
    ids = redis.call('ZRANGEBYSCORE', key('ob', 'due'), '-inf', '+inf',
                     'WITHSCORES', 'LIMIT', 0, limit)
end
local list = {}
for i = 1, #ids, 2 do
    local e = hash(key('ob', ids[i]))
    if e then
        list[#list + 1] = OB.view(ids[i], e)
    end
end
return reply(200, {
    entries = arr(list),
    waiting = tonumber(redis.call('GET', key('ob', 'n')) or 0),
    dead = redis.call('ZCARD', key('ob', 'dead')),
    next = (state == 'dead' and #ids == 2 * limit) and tonumber(ids[#ids])
           or cjson.null })
