-- flags: allow-oom
-- The periodic tick of a tenant (every worker of every node runs it; each
-- run is atomic, so whatever it does happens once):
--  - auto-end: active conversations whose customer has been silent for the
--    tenant's auto_end_minutes end with reason "timeout" (R4.5);
--  - settle: waiting conversations go to agents that have room now, e.g.
--    when a schedule slot opens (R3.4, R3.5), by the same rule as an
--    arrival (suspended agents too, when every on-duty agent is, R2.3).
--  - presence (R2.6): an agent whose socket leases all ran out (its
--    sockets closed longer than the grace ago, or their worker died) is
--    set offline, remembering its status for when it comes back; a waiting
--    customer whose sockets all closed longer than the grace ago is
--    abandoned, one talking to the robot ends (reason "left").
--  - retention (R9.6): what is over and older than the tenant's
--    retention goes, a bounded number a run (retention.lua).
--  - reminders (R7.4): contact plans that fell due are reminded to their
--    assignees, each once (followup.lua).
--  - search (R6.4): what conversations logged since is indexed, a
--    bounded number a run (search.lua).
--  - the outbox (outbox.lua): whether something is due there, for a
--    sender to claim it even when its wake-up was lost.
-- Returns { ended, assigned, swept, indexed, more to index (1: the step
-- was full, nginx runs index_step), the tenant, 1 when the outbox has
-- something due }.

if not tenant_exists() then return { 0, 0, 0, 0, 0, TENANT, 0 } end

local t = hash(KEYS[1])
local ended_n, assigned = 0, 0

local minutes = num(t.auto_end_minutes, 0)
if minutes > 0 then
    local since = NOW - minutes * 60000
    local old = redis.call('ZRANGEBYSCORE', key('activity'), '-inf', since,
                           'LIMIT', 0, 100)
    for _, cid in ipairs(old) do
        local c = hash(key('c', cid))
        -- silent since the later of its score now (an assignment earlier
        -- in this very tick moves it: silence counts from assignment)
        -- and the customer's last word (a message only sets "heard")
        local last = math.max(
            tonumber(redis.call('ZSCORE', key('activity'), cid) or 0),
            c and num(c.heard, 0) or 0)
        if c and c.state == 'active' and last > since then
            redis.call('ZADD', key('activity'), last, cid)
        elseif c and c.state == 'active' then
            redis.call('ZREM', key('activity'), cid)
            local from = end_conversation(cid, c, 'timeout')
            ended_n = ended_n + 1
            if from then
                assigned = assigned + pull(from)
            end
        else
            -- not active: it gets back in when an agent takes it
            redis.call('ZREM', key('activity'), cid)
        end
    end
end

for _, who in ipairs(redis.call('ZRANGEBYSCORE', key('presence'), '-inf', NOW,
                                'LIMIT', 0, 100)) do
    local kind, id = string.match(who, '^(%a):(.*)$')
    -- the sockets' leases (an agent's or a customer's): the ones run out
    -- (closed, or their worker died) go; the next to run out is due next
    local sk = key(kind == 'a' and 'a' or 'c', id, 'socks')
    local next_due = nil
    for s, lease in pairs(hash(sk) or {}) do
        if tonumber(lease) <= NOW then
            redis.call('HDEL', sk, s)
        elseif next_due == nil or tonumber(lease) < next_due then
            next_due = tonumber(lease)
        end
    end
    if next_due then
        redis.call('ZADD', key('presence'), next_due, who)
    elseif kind == 'a' then
        redis.call('ZREM', key('presence'), who)
        local a = agent(id)
        if a and a.status ~= 'offline' then
            redis.call('HSET', key('a', id), 'auto_offline', '1',
                       'prev_status', a.status)
            set_status(id, a, 'offline')
        end
    else
        redis.call('ZREM', key('presence'), who)
        local c = hash(key('c', id))
        if c and (c.state == 'queued' or c.state == 'new') then
            abandon(id, c)
        elseif c and (c.state == 'active' or c.state == 'bot')
               and c.connected ~= '1' then
            -- an anonymous arrival whose customer never connected
            local from = end_conversation(id, c, 'no_socket')
            ended_n = ended_n + 1
            if from then
                assigned = assigned + pull(from)
            end
        elseif c and c.state == 'bot' then
            -- gone from the robot: nobody holds a bot conversation open
            end_conversation(id, c, 'left')
            ended_n = ended_n + 1
        end
    end
end

for _, qid in ipairs(redis.call('SMEMBERS', key('queues'))) do
    local q = hash(key('q', qid))
    if q then
        sync_duty(qid, q)        -- a slot that opened or closed (R3.4)
    end
    if q and (q.mode == 'human' or q.mode == 'robot') then
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

FU.remind_step()                 -- contact plans due (R7.4, followup.lua)

local indexed = search_step()
local ob = OB.next_due()
return { ended_n, assigned, sweep(t), indexed,
         indexed >= SEARCH_STEP and 1 or 0, TENANT,
         ob > 0 and ob <= NOW and 1 or 0 }
