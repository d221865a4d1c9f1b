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
local before = a.status

if status and status ~= before then
    -- time spent suspended or offline today (R2.5)
    local since = num(a.status_since, NOW)
    if before == 'suspended' or before == 'offline' then
        redis.call('HINCRBY', today(ID), before .. '_ms', math.max(0, NOW - since))
    end
    redis.call('HSET', ak, 'status', status, 'status_since', NOW)
    event('status', { agent = ID, status = status, before = before })
end

if reception ~= nil then
    redis.call('HSET', ak, 'reception', reception and '1' or '0')
    event('reception', { agent = ID, reception = tostring(reception) })
end

-- back online or reception on: take what waits (R3.5)
local pulled = pull(ID)

a = agent(ID)
return reply(200, { id = ID, status = a.status,
                    reception = a.reception ~= '0',
                    load = num(a.load, 0), pulled = pulled })
