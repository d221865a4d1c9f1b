-- flags: no-writes
-- GET tenants/<t>/conversations/<id>/delivery: the delivery states of the
-- messages sent to a channel's customer (outbox.lua): { conversation,
-- entries: { <log entry id>: queued | sent | delivered | read | failed },
-- details: { <log entry id>: why it failed } } for who may read it

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local c = valid_id(ID) and hash(key('c', ID))
if not c or not conv_readable(ID, c) then
    return fail(404, 'not_found', 'no such conversation')
end
local flat = redis.call('HGETALL', key('c', ID, 'dlv'))
local states, details = {}, {}
for i = 1, #flat, 2 do
    local entry = string.match(flat[i], '^(.*):why$')
    if entry then
        details[entry] = flat[i + 1]
    else
        states[flat[i]] = flat[i + 1]
    end
end
return reply(200, { conversation = ID, channel = c.ob or cjson.null,
                    entries = states, details = details })
