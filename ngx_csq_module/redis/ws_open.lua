-- A socket asks to open (before the 101, R5.1): is the tenant there, is
-- the page's Origin allowed (R1.3), is the conversation the customer's or
-- the agent known?  Returns { 200, '', channel, ... }: what to listen on.
-- ID: the conversation (customer) or ''; body: { origin }

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end

local t = hash(KEYS[1])
local origins = cjson.decode(t.origins or '[]')
if b.origin and b.origin ~= '' and #origins > 0 then
    local ok = false
    for _, o in ipairs(origins) do
        if o == b.origin then
            ok = true
            break
        end
    end
    if not ok then
        return fail(403, 'origin_not_allowed',
                    'pages of ' .. b.origin .. ' may not open this socket')
    end
end

if ROLE == 'customer' then
    local c = hash(key('c', ID))
    if c == nil then return fail(404, 'not_found', 'no such conversation') end
    if c.customer ~= ACTOR then
        return fail(403, 'forbidden', 'not your conversation')
    end
    return { 200, '', chan('c', ID) }
end

if redis.call('EXISTS', key('a', ACTOR)) == 0 then
    return fail(404, 'not_found', 'no such agent')
end

local r = { 200, '', chan('a', ACTOR) }
local qs
if ROLES[ROLE] >= ROLES.supervisor then
    qs = redis.call('SMEMBERS', key('queues'))
else
    qs = redis.call('SMEMBERS', key('a', ACTOR, 'queues'))
end
table.sort(qs)
for _, q in ipairs(qs) do
    r[#r + 1] = chan('q', q)
end
return r
