-- The periodic tick of a tenant (every worker of every node runs it; each
-- run is atomic, so whatever it does happens once):
--  - auto-end: active conversations whose customer has been silent for the
--    tenant's auto_end_minutes end with reason "timeout" (R4.5);
--  - settle: waiting conversations go to agents that have room now, e.g.
--    when a schedule slot opens (R3.4, R3.5), by the same rule as an
--    arrival (suspended agents too, when every on-duty agent is, R2.3).
-- Returns { ended, assigned }.

if not tenant_exists() then return { 0, 0 } end

local t = hash(KEYS[1])
local ended_n, assigned = 0, 0

local minutes = num(t.auto_end_minutes, 0)
if minutes > 0 then
    local old = redis.call('ZRANGEBYSCORE', key('activity'), '-inf',
                           NOW - minutes * 60000, 'LIMIT', 0, 100)
    for _, cid in ipairs(old) do
        -- not active: it gets back in when an agent takes it
        redis.call('ZREM', key('activity'), cid)
        local c = hash(key('c', cid))
        if c and c.state == 'active' then
            local from = end_conversation(cid, c, 'timeout')
            ended_n = ended_n + 1
            if from then
                assigned = assigned + pull(from)
            end
        end
    end
end

for _, qid in ipairs(redis.call('SMEMBERS', key('queues'))) do
    local q = hash(key('q', qid))
    if q and q.mode == 'human' then
        while true do
            local w = redis.call('ZRANGE', key('q', qid, 'wait'), 0, 0)
            if #w == 0 then break end
            local a = pick_agent(qid, q)
            if a == nil then break end
            local c = hash(key('c', w[1]))
            assign(w[1], c, a, 'distributed')
            assigned = assigned + 1
        end
    end
end

return { ended_n, assigned }
