-- flags: no-writes
-- GET tenants/<t>/waiting: every waiting conversation, by queue and by
-- agent (supervisor, R3.8)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local queues, agents = {}, {}

local qids = redis.call('SMEMBERS', key('queues'))
table.sort(qids)
for _, qid in ipairs(qids) do
    local list = {}
    for _, cid in ipairs(redis.call('ZRANGE', key('q', qid, 'wait'), 0, -1)) do
        list[#list + 1] = conversation_view(cid, hash(key('c', cid)))
    end
    queues[#queues + 1] = { queue = qid, waiting = arr(list) }
end

local aids = redis.call('SMEMBERS', key('agents'))
table.sort(aids)
for _, aid in ipairs(aids) do
    local ids = redis.call('ZRANGE', key('a', aid, 'wait'), 0, -1)
    if #ids > 0 then
        local list = {}
        for _, cid in ipairs(ids) do
            list[#list + 1] = conversation_view(cid, hash(key('c', cid)))
        end
        agents[#agents + 1] = { agent = aid, waiting = list }
    end
end

return reply(200, { queues = arr(queues), agents = arr(agents) })
