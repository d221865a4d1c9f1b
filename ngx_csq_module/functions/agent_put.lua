-- flags: none
-- PUT tenants/<t>/agents/<id>: create or update an agent (admin)
-- body: { name, avatar, role, capacity, weight, order, queues: [...] }
-- ARGV[6]: the password hash nginx made of body.password, or ''
-- A new password or a lower role ends every session of the agent (R9.5).

local b, err = put_prologue()
if err then return err end

local f
f, err = fields(b, {
    { 'name', 'string', 200 }, { 'avatar', 'string', 2000 },
    { 'role', 'enum', { agent = true, supervisor = true, admin = true } },
    { 'capacity', 'int', 0, 1000 }, { 'weight', 'int', 1, 1000 },
    { 'order', 'int', 0, 1000000 } })
if err then return err end

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

local was = not created and (redis.call('HGET', ak, 'role') or 'agent')

if created then
    local t = hash(KEYS[1])
    redis.call('HSET', ak, 'id', ID, 'name', ID, 'avatar', '', 'role', 'agent',
               'capacity', tonumber(t.default_capacity) or 5, 'weight', 1,
               'order', 0, 'status', 'offline', 'reception', '1', 'load', 0,
               'last_assign', 0)
    redis.call('SADD', key('agents'), ID)
end

if EXTRA ~= '' then
    f.password = EXTRA
end
hset_given(ak, f)

if was and (EXTRA ~= '' or ROLES[f.role or was] < ROLES[was]) then
    session_end(ID)
end

local a = agent(ID)

if queues ~= nil then
    for _, q in ipairs(redis.call('SMEMBERS', key('a', ID, 'queues'))) do
        unplace(q, ID)
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
reindex(ID)

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
