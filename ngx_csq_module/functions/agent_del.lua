-- flags: allow-oom
-- DELETE tenants/<t>/agents/<id> (admin): only an agent with no active or
-- bound conversations goes; its sessions end with it (R9.5), and its own
-- pins, hidden conversations, quick replies and favorites (an agent made
-- later under its id starts clean)

local a = agent(ID)
if a == nil then return fail(404, 'not_found', 'no such agent') end

if redis.call('SCARD', key('a', ID, 'convs')) > 0
   or redis.call('ZCARD', key('a', ID, 'wait')) > 0 then
    return fail(409, 'conflict', 'the agent still has conversations')
end

for _, qid in ipairs(redis.call('SMEMBERS', key('a', ID, 'queues'))) do
    unplace(qid, ID)
    redis.call('ZREM', key('q', qid, 'agents'), ID)
    redis.call('HDEL', key('q', qid, 'given'), ID)
end
-- its phone extension is free again (calls.lua)
local ext = redis.call('HGET', key('a', ID), 'extension')
if ext and ext ~= '' and redis.call('HGET', key('ext'), ext) == ID then
    redis.call('HDEL', key('ext'), ext)
end
redis.call('DEL', key('a', ID), key('a', ID, 'queues'), key('a', ID, 'convs'),
           key('a', ID, 'wait'), key('a', ID, 'pins'), key('a', ID, 'hidden'),
           key('a', ID, 'qr'), key('a', ID, 'qr', 'r'), key('a', ID, 'fav'))
redis.call('SREM', key('agents'), ID)
session_end(ID)

event('agent_deleted', { agent = ID })

return reply(200, { id = ID, deleted = true })
