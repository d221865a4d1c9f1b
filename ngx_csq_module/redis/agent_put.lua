-- PUT tenants/<t>/agents/<id>: create or update an agent (admin)
-- body: { name, avatar, role, capacity, weight, order, queues: [...] }
-- ARGV[6]: the password hash nginx made of body.password, or ''

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
if not valid_id(ID) then return bad('id', 'must be 1-64 of A-Z a-z 0-9 _ - .') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end

local name, e = opt_string(b, 'name', 200)
if e then return bad('name', e) end
local avatar
avatar, e = opt_string(b, 'avatar', 2000)
if e then return bad('avatar', e) end
local role
role, e = opt_enum(b, 'role', { agent = true, supervisor = true,
                                admin = true })
if e then return bad('role', e) end
local cap
cap, e = opt_int(b, 'capacity', 0, 1000)
if e then return bad('capacity', e) end
local weight
weight, e = opt_int(b, 'weight', 1, 1000)
if e then return bad('weight', e) end
local order
order, e = opt_int(b, 'order', 0, 1000000)
if e then return bad('order', e) end

local queues = b.queues
if queues ~= nil then
    if type(queues) ~= 'table' then return bad('queues', 'must be an array') end
    for i, q in ipairs(queues) do
        if not valid_id(q) then
            return bad('queues', 'must hold queue ids')
        end
        if redis.call('SISMEMBER', key('queues'), q) == 0 then
            return fail(404, 'not_found', 'no such queue: ' .. q)
        end
    end
end

local ak = key('a', ID)
local created = redis.call('EXISTS', ak) == 0

if created and EXTRA == '' then
    return bad('password', 'is required for a new agent')
end

if created then
    local t = hash(KEYS[1])
    redis.call('HSET', ak, 'id', ID, 'name', name or ID, 'avatar', avatar or '',
               'role', role or 'agent',
               'capacity', cap or tonumber(t.default_capacity) or 5,
               'weight', weight or 1, 'order', order or 0,
               'status', 'offline', 'reception', '1', 'load', 0,
               'last_assign', 0, 'password', EXTRA)
    redis.call('SADD', key('agents'), ID)
else
    if name then redis.call('HSET', ak, 'name', name) end
    if avatar then redis.call('HSET', ak, 'avatar', avatar) end
    if role then redis.call('HSET', ak, 'role', role) end
    if cap then redis.call('HSET', ak, 'capacity', cap) end
    if weight then redis.call('HSET', ak, 'weight', weight) end
    if order then redis.call('HSET', ak, 'order', order) end
    if EXTRA ~= '' then redis.call('HSET', ak, 'password', EXTRA) end
end

local a = agent(ID)

if queues ~= nil then
    for _, q in ipairs(redis.call('SMEMBERS', key('a', ID, 'queues'))) do
        redis.call('ZREM', key('q', q, 'agents'), ID)
    end
    redis.call('DEL', key('a', ID, 'queues'))
end

-- a queue's agents are kept in configured order
for _, q in ipairs(redis.call('SMEMBERS', key('a', ID, 'queues'))) do
    redis.call('ZADD', key('q', q, 'agents'), num(a.order, 0), ID)
end
for _, q in ipairs(queues or {}) do
    redis.call('SADD', key('a', ID, 'queues'), q)
    redis.call('ZADD', key('q', q, 'agents'), num(a.order, 0), ID)
end

event(created and 'agent_created' or 'agent_updated', { agent = ID })

-- more capacity or new queues may let it take waiting conversations
local pulled = pull(ID)

a = agent(ID)
local qs = redis.call('SMEMBERS', key('a', ID, 'queues'))
table.sort(qs)

return reply(created and 201 or 200, {
    id = ID, name = a.name, avatar = a.avatar, role = a.role,
    capacity = num(a.capacity, 0), weight = num(a.weight, 1),
    order = num(a.order, 0), status = a.status,
    reception = a.reception ~= '0', load = num(a.load, 0),
    queues = arr(qs), pulled = pulled })
