-- PUT tenants/<t>/queues/<id>: create or update a queue (admin)
-- body: { name, strategy, mode, max_length, queued_text }

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
if not valid_id(ID) then return bad('id', 'must be 1-64 of A-Z a-z 0-9 _ - .') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end

local name, e = opt_string(b, 'name', 200)
if e then return bad('name', e) end
local strategy
strategy, e = opt_enum(b, 'strategy', STRATEGIES)
if e then return bad('strategy', e) end
local mode
mode, e = opt_enum(b, 'mode', { human = true, noagent = true, pickup = true })
if e then return bad('mode', e) end
local maxlen
maxlen, e = opt_int(b, 'max_length', 0, 1000000)
if e then return bad('max_length', e) end
local qtext
qtext, e = opt_string(b, 'queued_text', 2000)
if e then return bad('queued_text', e) end

local qk = key('q', ID)
local created = redis.call('EXISTS', qk) == 0

if created then
    redis.call('HSET', qk, 'id', ID, 'name', name or ID,
               'strategy', strategy or 'round-robin', 'mode', mode or 'human',
               'max_length', maxlen or 0, 'queued_text', qtext or '',
               'handled', 0, 'handle_ms', 0)
    redis.call('SADD', key('queues'), ID)
else
    if name then redis.call('HSET', qk, 'name', name) end
    if strategy then redis.call('HSET', qk, 'strategy', strategy) end
    if mode then redis.call('HSET', qk, 'mode', mode) end
    if maxlen then redis.call('HSET', qk, 'max_length', maxlen) end
    if qtext then redis.call('HSET', qk, 'queued_text', qtext) end
end

event(created and 'queue_created' or 'queue_updated', { queue = ID })

local q = hash(qk)
return reply(created and 201 or 200, {
    id = ID, name = q.name, strategy = q.strategy, mode = q.mode,
    max_length = tonumber(q.max_length), queued_text = q.queued_text })
