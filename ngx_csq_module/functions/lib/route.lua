-- ngx_csq_module: the routing rules (R2.2-R2.4, R3.1, R3.3, R3.5, R3.6), a
-- part of the Redis function library.
--
-- Keys under csq:{t}:
--   a:<id>          agent hash: name avatar role capacity weight order
--                   status reception load last_assign password
--   a:<id>:queues   set of queue ids      a:<id>:convs  set of active ones
--   a:<id>:wait     zset of conversations bound to this agent (affinity)
--   q:<id>          queue hash: name strategy mode max_length rr handled
--                   handle_ms
--   q:<id>:agents   zset agent -> order   q:<id>:wait   zset conversation
--   q:<id>:cw       hash agent -> current weight (weighted strategy)
--   c:<id>          conversation hash     cust:<id>     customer hash
--   agents, queues  sets of ids           events        stream

local STATUSES = { online = true, invisible = true, suspended = true,
                   offline = true }
local STRATEGIES = { ['round-robin'] = true, sequential = true,
                     ['least-busy'] = true, ['longest-idle'] = true,
                     weighted = true }

local function num(v, default)
    return tonumber(v) or default
end

-- may get distributed customers: online or invisible, reception on, room
local function available(a)
    return (a.status == 'online' or a.status == 'invisible')
           and a.reception ~= '0'
           and num(a.load, 0) < num(a.capacity, 0)
end

-- may get conversations bound to it: not offline, reception on, room
local function has_room(a)
    return a.status ~= 'offline' and a.reception ~= '0'
           and num(a.load, 0) < num(a.capacity, 0)
end

local function agent(id)
    local a = hash(key('a', id))
    if a then
        a.id = id
    end
    return a
end

-- the queue's agents in configured order, with what routing reads of them
local ROUTING_FIELDS = { 'status', 'reception', 'load', 'capacity', 'weight',
                         'last_assign' }

local function queue_agents(qid)
    local list = {}
    for _, id in ipairs(redis.call('ZRANGE', key('q', qid, 'agents'), 0, -1)) do
        local v = redis.call('HMGET', key('a', id), unpack(ROUTING_FIELDS))
        if v[1] then
            local a = { id = id }
            for i, f in ipairs(ROUTING_FIELDS) do
                a[f] = v[i] or nil
            end
            list[#list + 1] = a
        end
    end
    return list
end

local function least(cands, field)
    local best = cands[1]
    for i = 2, #cands do
        if num(cands[i][field], 0) < num(best[field], 0) then
            best = cands[i]
        end
    end
    return best
end

-- one of the candidates (in queue order) by the queue's strategy
local function choose(qid, q, cands)
    local s = q.strategy or 'round-robin'

    if s == 'sequential' then
        return cands[1]
    end

    if s == 'least-busy' then
        return least(cands, 'load')
    end

    if s == 'longest-idle' then
        return least(cands, 'last_assign')
    end

    if s == 'weighted' then
        -- smooth weighted round-robin: every candidate gains its weight,
        -- the richest is chosen and pays the total
        local cwk = key('q', qid, 'cw')
        local total, best = 0, nil
        for _, c in ipairs(cands) do
            local w = num(c.weight, 1)
            c.cw = num(redis.call('HGET', cwk, c.id), 0) + w
            total = total + w
            if best == nil or c.cw > best.cw then
                best = c
            end
        end
        for _, c in ipairs(cands) do
            local cw = c.cw
            if c == best then
                cw = cw - total
            end
            redis.call('HSET', cwk, c.id, cw)
        end
        return best
    end

    -- round-robin: the first candidate after the one chosen last time
    local order = redis.call('ZRANGE', key('q', qid, 'agents'), 0, -1)
    local pos, lastpos = {}, 0
    for i, id in ipairs(order) do
        pos[id] = i
        if id == q.rr then
            lastpos = i
        end
    end
    for _, c in ipairs(cands) do
        if pos[c.id] > lastpos then
            return c
        end
    end
    return cands[1]
end

-- a queue's schedule (R3.4): weekly slots in the tenant's time zone (a
-- fixed UTC offset), each with the agents on duty in it (all the queue's
-- agents when it names none).  Returns nil when the queue has no schedule
-- (always open), false when no slot is open now, else the set of agents
-- on duty (true for all of them).
local function on_duty_now(q)
    if q.schedule == nil or q.schedule == '' then
        return nil
    end

    local sch = cjson.decode(q.schedule)
    local weekday, minute = local_now()
    local duty = false

    for _, slot in ipairs(sch.slots or {}) do
        if slot_on(slot, weekday, minute) then
            if slot.agents == nil then
                return true
            end
            duty = duty or {}
            for _, a in ipairs(slot.agents) do duty[a] = true end
        end
    end

    return duty
end

-- the agent a new conversation of this queue goes to, and whether that
-- agent is suspended (every on-duty agent of the queue is, R2.3); a third
-- result tells that the queue is out of hours
local function pick_agent(qid, q)
    local duty = on_duty_now(q)
    if duty == false then
        return nil, false, true
    end

    local function on_duty(id)
        return duty == nil or duty == true or duty[id]
    end

    -- round-robin and sequential need only the first available agent from
    -- where they start: read agents one by one, not the whole queue
    local s = q.strategy or 'round-robin'
    if s == 'round-robin' or s == 'sequential' then
        local ids = redis.call('ZRANGE', key('q', qid, 'agents'), 0, -1)
        local start = 0
        if s == 'round-robin' and q.rr then
            start = (redis.call('ZRANK', key('q', qid, 'agents'), q.rr) or -1) + 1
        end
        for k = 0, #ids - 1 do
            local id = ids[(start + k) % #ids + 1]
            if on_duty(id) then
                local a = agent(id)
                if a and available(a) then
                    return a, false
                end
            end
        end
    end

    local list = {}
    for _, a in ipairs(queue_agents(qid)) do
        if on_duty(a.id) then
            list[#list + 1] = a
        end
    end
    local cands = {}

    for _, a in ipairs(list) do
        if available(a) then
            cands[#cands + 1] = a
        end
    end

    if #cands > 0 then
        return choose(qid, q, cands), false
    end

    local onduty, suspended = 0, {}
    for _, a in ipairs(list) do
        if a.status ~= 'offline' then
            onduty = onduty + 1
            if a.status ~= 'suspended' then
                return nil, false
            end
            if has_room(a) then
                suspended[#suspended + 1] = a
            end
        end
    end

    if onduty > 0 and #suspended > 0 then
        return least(suspended, 'load'), true
    end

    return nil, onduty > 0
end

-- today's counters of an agent (R2.5), per UTC day
local function today(aid)
    return key('a', aid, 'day', tostring(math.floor(NOW / 86400000)))
end

-- a status change (R2.2): the time suspended or offline today is counted
-- (R2.5) and the agent's sockets hear of it
local function set_status(aid, a, status)
    local before = a.status
    if status == before then
        return
    end
    local since = num(a.status_since, NOW)
    if before == 'suspended' or before == 'offline' then
        redis.call('HINCRBY', today(aid), before .. '_ms',
                   math.max(0, NOW - since))
    end
    redis.call('HSET', key('a', aid), 'status', status, 'status_since', NOW)
    a.status = status
    event('status', { agent = aid, status = status, before = before })
end

-- how fast a waiting list moves: the queue's mean handling time and the
-- room of its agents (one agent for an agent's own list)
local function wait_rate(bound, qid)
    local avg = 180000
    if qid and qid ~= '' then
        local q = redis.call('HMGET', key('q', qid), 'handled', 'handle_ms')
        if num(q[1], 0) > 0 then
            avg = num(q[2], 0) / num(q[1], 1)
        end
    end

    local agents = 1
    if not (bound and bound ~= '') and qid and qid ~= '' then
        agents = 0
        for _, a in ipairs(queue_agents(qid)) do
            if a.status ~= 'offline' then
                agents = agents + num(a.capacity, 1)
            end
        end
        if agents < 1 then
            agents = 1
        end
    end

    return avg, agents
end

-- the customers of a waiting list from rank `from` (0 = first) on learn
-- their new place (R3.6), up to the 50th: those before it did not move;
-- the others learn it when they get there, or from their socket's hello
local function positions(where, bound, qid, from)
    if from == nil or from > 49 then
        return
    end
    local ids = redis.call('ZRANGE', where, from, 49)
    if #ids == 0 then
        return
    end
    local avg, agents = wait_rate(bound, qid)
    for i, cid in ipairs(ids) do
        local pos = from + i
        live('c', cid, { type = 'queue', conversation = cid, position = pos,
                         estimated_wait = math.ceil(pos * avg / agents / 1000) })
    end
end

-- takes a conversation out of a waiting list; those behind it move up
local function leave_list(where, cid, bound, qid)
    local rank = redis.call('ZRANK', where, cid)
    if rank then
        redis.call('ZREM', where, cid)
        positions(where, bound, qid, rank)
    end
end

local function assign(cid, c, a, how)
    local ck = key('c', cid)

    redis.call('HSET', ck, 'state', 'active', 'agent', a.id,
               'assigned', NOW, 'how', how)
    redis.call('HINCRBY', key('a', a.id), 'load', 1)
    redis.call('HSET', key('a', a.id), 'last_assign', NOW)
    redis.call('SADD', key('a', a.id, 'convs'), cid)
    redis.call('ZADD', key('activity'), NOW, cid)    -- silence counts from here
    redis.call('HINCRBY', today(a.id), 'taken', 1)

    if c.queue and c.queue ~= '' then
        leave_list(key('q', c.queue, 'wait'), cid, nil, c.queue)
        if how == 'distributed' then
            redis.call('HSET', key('q', c.queue), 'rr', a.id)
        end
    end

    if c.bound and c.bound ~= '' then
        leave_list(key('a', c.bound, 'wait'), cid, c.bound, c.queue)
    end

    if c.customer and c.customer ~= '' then
        redis.call('HSET', key('cust', c.customer), 'last_agent', a.id,
                   'last_time', NOW)
    end

    c.state, c.agent = 'active', a.id

    event('assigned', { conversation = cid, agent = a.id,
                        queue = c.queue or '', how = how })
end

-- priority first (higher first), then the first to arrive: the number of
-- the conversation id orders arrivals strictly, even within a millisecond
local function wait_score(c, cid)
    return -num(c.priority, 0) * 1e12 + num(string.match(cid, '%d+'), 0)
end

local function enqueue(cid, c, where)
    redis.call('ZADD', where, wait_score(c, cid), cid)
    redis.call('HSET', key('c', cid), 'state', 'queued')
    c.state = 'queued'
    event('queued', { conversation = cid, queue = c.queue or '',
                      bound = c.bound or '' })
    positions(where, c.bound, c.queue, redis.call('ZRANK', where, cid))
end

-- every agent of the queue on duty now is suspended (R2.3): then the
-- suspended ones share its customers
local function all_suspended(qid, q)
    local duty = on_duty_now(q)
    if duty == false then
        return false
    end
    local n = 0
    for _, a in ipairs(queue_agents(qid)) do
        if (duty == nil or duty == true or duty[a.id])
           and a.status ~= 'offline' then
            if a.status ~= 'suspended' then
                return false
            end
            n = n + 1
        end
    end
    return n > 0
end

-- the agent takes waiting conversations while it has room: its own bound
-- ones first if it may have them, then the best of its queues (R3.5)
local function pull(aid)
    local taken = 0

    while true do
        local a = agent(aid)
        if a == nil or not has_room(a) then
            break
        end

        local best, bestscore, from = nil, nil, nil
        local own = redis.call('ZRANGE', key('a', aid, 'wait'), 0, 0,
                               'WITHSCORES')
        if #own > 0 then
            best, bestscore, from = own[1], tonumber(own[2]), 'affinity'
        end

        if best == nil then
            for _, qid in ipairs(redis.call('SMEMBERS', key('a', aid, 'queues'))) do
                local q = hash(key('q', qid))
                if q and q.mode ~= 'noagent' and q.mode ~= 'pickup'
                   and (available(a)
                        or (a.status == 'suspended' and all_suspended(qid, q)))
                then
                    local w = redis.call('ZRANGE', key('q', qid, 'wait'), 0, 0,
                                         'WITHSCORES')
                    if #w > 0 and (bestscore == nil
                                   or tonumber(w[2]) < bestscore) then
                        best, bestscore, from = w[1], tonumber(w[2]),
                                                'distributed'
                    end
                end
            end
        end

        if best == nil then
            break
        end

        local c = hash(key('c', best))
        assign(best, c, a, from)
        taken = taken + 1
    end

    return taken
end

-- where a waiting conversation stands: position (1 = next) and estimate
local function position(cid, c)
    local where = c.bound and c.bound ~= '' and key('a', c.bound, 'wait')
                  or key('q', c.queue, 'wait')
    local rank = redis.call('ZRANK', where, cid)
    if rank == false or rank == nil then
        return nil
    end

    local avg, agents = wait_rate(c.bound, c.queue)

    return rank + 1, math.ceil((rank + 1) * avg / agents / 1000)
end

local function conversation_view(cid, c)
    local v = { id = cid, state = c.state, customer = c.customer,
                channel = c.channel, queue = c.queue,
                priority = num(c.priority, 0),
                created = num(c.created, 0) }
    if c.agent and c.agent ~= '' then
        local a = hash(key('a', c.agent)) or {}
        v.agent = { id = c.agent, name = a.name or c.agent,
                    avatar = a.avatar or '' }
    end
    if c.bound and c.bound ~= '' then
        v.bound_agent = c.bound
    end
    if c.state == 'queued' then
        local pos, est = position(cid, c)
        v.position = pos
        v.estimated_wait = est
    end
    if c.ended then
        v.ended = num(c.ended, 0)
        v.end_reason = c.end_reason
    end
    v.last_id = c.last_id
    v.read_agent = c.read_agent
    v.read_customer = c.read_customer
    return v
end

-- the agent gives the conversation up: its load and set, then its room
-- goes to what waits for it (transfer, end, leave)
local function release(cid, c)
    if c.state == 'active' and c.agent and c.agent ~= '' then
        redis.call('HINCRBY', key('a', c.agent), 'load', -1)
        redis.call('SREM', key('a', c.agent, 'convs'), cid)
        return c.agent
    end
    return nil
end

-- out of every waiting list it may be in
local function unqueue(cid, c)
    if c.queue and c.queue ~= '' then
        leave_list(key('q', c.queue, 'wait'), cid, nil, c.queue)
    end
    if c.bound and c.bound ~= '' then
        leave_list(key('a', c.bound, 'wait'), cid, c.bound, c.queue)
    end
end

-- a waiting customer goes away: abandoned, kept on the callback list (R4.9)
local function abandon(cid, c)
    unqueue(cid, c)
    redis.call('ZREM', key('activity'), cid)
    redis.call('HSET', key('c', cid), 'state', 'abandoned', 'ended', NOW,
               'end_reason', 'abandoned')
    redis.call('ZADD', key('abandoned'), NOW, cid)
    c.state = 'abandoned'
    event('abandoned', { conversation = cid, customer = c.customer,
                         queue = c.queue or '' })
end

-- a conversation (new or transferred) enters a queue: an agent now, or
-- the queue's waiting list; returns the auto-reply text, if any
local function route_in_queue(cid, c, qid, q, t)
    c.queue = qid
    redis.call('HSET', key('c', cid), 'queue', qid)

    if q.mode == 'noagent' or q.mode == 'robot' then
        redis.call('HSET', key('c', cid), 'state', 'bot')
        c.state = 'bot'
        return nil
    end

    if q.mode ~= 'pickup' then
        local a, suspended, closed = pick_agent(qid, q)
        if a then
            assign(cid, c, a, 'distributed')
            return suspended and t.suspended_text or nil
        end
        enqueue(cid, c, key('q', qid, 'wait'))
        if closed then
            return q.out_of_hours_text
        end
        return suspended and t.suspended_text or q.queued_text
    end

    enqueue(cid, c, key('q', qid, 'wait'))
    return q.queued_text
end

-- a conversation ends (by its agent, its customer or the clock): out of
-- every list, its agent's room freed and the queue's handling time
-- counted; returns the agent that has room now, for the caller to pull
local function end_conversation(cid, c, reason)
    redis.call('HSET', key('c', cid), 'state', 'ended', 'ended', NOW,
               'end_reason', reason)
    unqueue(cid, c)
    redis.call('ZREM', key('activity'), cid)

    local from = release(cid, c)

    if from and c.queue and c.queue ~= ''
       and redis.call('EXISTS', key('q', c.queue)) == 1 then
        redis.call('HINCRBY', key('q', c.queue), 'handled', 1)
        redis.call('HINCRBY', key('q', c.queue), 'handle_ms',
                   math.max(0, NOW - num(c.assigned, NOW)))
    end

    event('ended', { conversation = cid, agent = c.agent or '',
                     reason = reason })
    return from
end


-- an agent's active conversations and those waiting for it alone (the
-- first max), as views
local function agent_conversations(aid, max)
    local active, waiting = {}, {}
    local ids = redis.call('SMEMBERS', key('a', aid, 'convs'))
    table.sort(ids)
    for _, cid in ipairs(ids) do
        active[#active + 1] = conversation_view(cid, hash(key('c', cid)))
    end
    for _, cid in ipairs(redis.call('ZRANGE', key('a', aid, 'wait'), 0,
                                    max - 1)) do
        waiting[#waiting + 1] = conversation_view(cid, hash(key('c', cid)))
    end
    return arr(active), arr(waiting)
end


-- may the caller act on this conversation as its agent?
local function own_or_supervisor(c)
    return ROLES[ROLE] >= ROLES.supervisor or c.agent == ACTOR
end
