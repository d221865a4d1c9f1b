-- flags: allow-oom
-- POST tenants/<t>/agents/<id>/status: status and reception switch
-- (the agent itself, or a supervisor); body: { status, reception }

local a = agent(ID)
if a == nil then return fail(404, 'not_found', 'no such agent') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end

local status, e = opt_enum(b, 'status', STATUSES)
if e then return bad('status', e) end
local reception = b.reception
if reception ~= nil and type(reception) ~= 'boolean' then
    return bad('reception', 'must be true or false')
end
if status == nil and reception == nil then
    return bad('status', 'or "reception" is required')
end

local ak = key('a', ID)

if status then
    set_status(ID, a, status)
    redis.call('HDEL', ak, 'auto_offline')   -- a choice, not presence
end

if reception ~= nil then
    redis.call('HSET', ak, 'reception', reception and '1' or '0')
    reindex(ID)
    event('reception', { agent = ID, reception = tostring(reception) })
end

-- back online or reception on: take what waits (R3.5)
local pulled = pull(ID)

a = agent(ID)
return reply(200, { id = ID, status = a.status,
                    reception = a.reception ~= '0',
                    load = num(a.load, 0), pulled = pulled })
