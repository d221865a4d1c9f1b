-- flags: no-writes
-- GET tenants/<t>/calls?agent=me|<id>&before=<ms>&limit= (R7.2): calls,
-- newest first; an agent reads its own, a supervisor anyone's (no agent:
-- the tenant's).  A customer's calls are in its records.
-- { calls: [...], next (cursor) }

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local qs = query(ARGV[5])
local who = qs.agent == 'me' and ACTOR or qs.agent
if (ROLES[ROLE] or 0) < ROLES.supervisor then
    if who and who ~= ACTOR then
        return fail(403, 'forbidden', 'an agent reads its own calls')
    end
    who = ACTOR
end
local limit = math.max(1, math.min(tonumber(qs.limit) or 50, 200))
local before = tonumber(qs.before)
local out, last, read = {}, nil, 0
local ids = redis.call('ZREVRANGEBYSCORE', key('calls'),
                       before and '(' .. before or '+inf', '-inf',
                       'WITHSCORES', 'LIMIT', 0, 1000)
for i = 1, #ids, 2 do
    read = read + 1
    last = tonumber(ids[i + 1])
    local c = CALL.get(ids[i])
    if c and (not who or c.agent == who) then
        out[#out + 1] = CALL.view(c)
        if #out >= limit then break end
    end
end
return reply(200, { calls = arr(out),
                    next = (#out >= limit or #ids == 2000) and last
                           or cjson.null })
