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
--   q:<id>:ix, :sx, :cls, :n, :duty, :given   the availability index, below
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
    return record(key('a', id), id)
end

-- what routing reads of an agent (nil: no such agent)
local ROUTING_FIELDS = { 'status', 'reception', 'load', 'capacity', 'weight',
                         'last_assign', 'order' }

local function routing_fields(aid)
    local v = redis.call('HMGET', key('a', aid), unpack(ROUTING_FIELDS))
    if not v[1] then
        return nil
    end
    local a = { id = aid }
    for i, f in ipairs(ROUTING_FIELDS) do
        a[f] = v[i] or nil
    end
    return a
end

-- the queue's agents in configured order, with what routing reads of them
local function queue_agents(qid)
    local list = {}
    for _, id in ipairs(redis.call('ZRANGE', key('q', qid, 'agents'), 0, -1)) do
        list[#list + 1] = routing_fields(id)
    end
    return list
end

-- The availability index: routing reads O(log n) of a queue's agents per
-- decision, whatever its strategy.  Under csq:{t}:q:<id>:
--   ix    zset of the agents that may take a conversation of the queue now
--         (available, R2.2, and on duty, R3.4), in the queue's strategy's
--         order: round-robin and sequential score 0, so the member
--         "<order>:<agent>" orders them as the queue does; least-busy by
--         load, longest-idle by last_assign, weighted by the agent's next
--         turn (below); ties by member, so by queue order
--   sx    zset of its on-duty suspended agents with room, by load (R2.3)
--   cls   hash agent -> "<class>:<capacity counted>:<member>"; classes:
--         a available, b on duty online/invisible without room or with
--         reception off, r suspended with room, s suspended without, x
--         off duty or offline
--   n     hash: active (a + b), susp (r + s), cap (capacity of the agents
--         not offline, for the waiting estimate)
--   duty  set of the agents on duty now when the open slots name them
--   given hash agent -> conversations given it by weighted routing
-- and, in the queue's hash, duty_sig (the open slots), duty_open,
-- duty_all and ix_layout.  Every change of what routing reads of an agent
-- (status, reception, load, capacity, weight, order, last_assign, queues)
-- ends in reindex(); a new strategy or schedule, or a slot that opens or
-- closes (sync_duty, from the tick and before every decision), rebuilds
-- the queue's index.  queue_index_check compares it with a recomputation.
--
-- Weighted is stride scheduling: an agent's next turn is (n + 1) / weight
-- for the n conversations weighted routing gave it, the earliest turn
-- goes first, so shares follow weights exactly; an agent that comes back
-- starts no earlier than the earliest turn of the index (no catch-up).

local IX_LAYOUT = '1'
local function ix_member(a)
    return string.format('%07d:%s', num(a.order, 0), a.id)
end

local function ix_id(member)
    return string.match(member, '^%d+:(.*)$')
end

-- the open slots of a queue's schedule now: their signature, whether the
-- queue is open, whether every agent is on duty, else who is
local function duty_now(q)
    if q.schedule == nil or q.schedule == '' then
        return '', true, true, nil
    end
    local sch = cjson.decode(q.schedule)
    local weekday, minute = local_now()
    local sig, all, who = {}, false, {}
    for i, slot in ipairs(sch.slots or {}) do
        if slot_on(slot, weekday, minute) then
            sig[#sig + 1] = i
            if slot.agents == nil then
                all = true
            else
                for _, aid in ipairs(slot.agents) do who[#who + 1] = aid end
            end
        end
    end
    if #sig == 0 then
        return 'closed', false, false, nil
    end
    return table.concat(sig, ','), true, all, who
end

local function on_duty(qid, q, aid)
    return q.duty_open == '1'
           and (q.duty_all == '1'
                or redis.call('SISMEMBER', key('q', qid, 'duty'), aid) == 1)
end

-- an agent's class in a queue (see above) and the capacity it counts
local function ix_class(qid, q, a)
    local cap = a.status ~= 'offline' and num(a.capacity, 1) or 0
    if a.status == 'offline' or not on_duty(qid, q, a.id) then
        return 'x', cap
    end
    if available(a) then
        return 'a', cap
    end
    if a.status == 'suspended' then
        return has_room(a) and 'r' or 's', cap
    end
    return 'b', cap
end

-- an available agent's score in the queue's index
local function ix_score(qid, q, a)
    local s = q.strategy or 'round-robin'
    if s == 'least-busy' then
        return num(a.load, 0)
    elseif s == 'longest-idle' then
        return num(a.last_assign, 0)
    elseif s == 'weighted' then
        local w = num(a.weight, 1)
        local n = num(redis.call('HGET', key('q', qid, 'given'), a.id), 0)
        return (n + 1) / w, n, w
    end
    return 0
end

local function ix_counts(c)
    local active = (c == 'a' or c == 'b') and 1 or 0
    local susp = (c == 'r' or c == 's') and 1 or 0
    return active, susp
end

-- puts agent a (nil: gone from the queue) where it belongs in the queue's
-- index, from where it was
local function place(qid, q, aid, a)
    local qk = key('q', qid)
    local was = redis.call('HGET', qk .. ':cls', aid)
    local oc, ocap, om = 'x', 0, nil
    if was then
        oc, ocap, om = string.match(was, '^(%a):(%d+):(.*)$')
        ocap = tonumber(ocap)
    end

    local nc, ncap, nm = 'x', 0, nil
    if a then
        nc, ncap = ix_class(qid, q, a)
        nm = ix_member(a)
    end

    local oa, os = ix_counts(oc)
    local na, ns = ix_counts(nc)
    if na ~= oa then redis.call('HINCRBY', qk .. ':n', 'active', na - oa) end
    if ns ~= os then redis.call('HINCRBY', qk .. ':n', 'susp', ns - os) end
    if ncap ~= ocap then
        redis.call('HINCRBY', qk .. ':n', 'cap', ncap - ocap)
    end

    if oc == 'a' and (nc ~= 'a' or om ~= nm) then
        redis.call('ZREM', qk .. ':ix', om)
    end
    if oc == 'r' and (nc ~= 'r' or om ~= nm) then
        redis.call('ZREM', qk .. ':sx', om)
    end

    if nc == 'a' then
        local score, n, w = ix_score(qid, q, a)
        if n and oc ~= 'a' then
            -- weighted, back in: no earlier than the earliest turn
            local low = redis.call('ZRANGE', qk .. ':ix', 0, 0, 'WITHSCORES')
            if low[2] and score < tonumber(low[2]) then
                n = math.ceil(tonumber(low[2]) * w) - 1
                redis.call('HSET', qk .. ':given', aid, n)
                score = (n + 1) / w
            end
        end
        redis.call('ZADD', qk .. ':ix', score, nm)
    elseif nc == 'r' then
        redis.call('ZADD', qk .. ':sx', num(a.load, 0), nm)
    end

    if a == nil then
        redis.call('HDEL', qk .. ':cls', aid)
    else
        local now = nc .. ':' .. ncap .. ':' .. nm
        if now ~= was then
            redis.call('HSET', qk .. ':cls', aid, now)
        end
    end
end

-- the queue's routing fields, for place()
local function ix_queue(qid)
    local v = redis.call('HMGET', key('q', qid), 'strategy', 'duty_open',
                         'duty_all')
    return { strategy = v[1] or nil, duty_open = v[2] or nil,
             duty_all = v[3] or nil }
end

-- the agent's place in the index of each of its queues, after a change
local function reindex(aid)
    local a = routing_fields(aid)
    for _, qid in ipairs(redis.call('SMEMBERS', key('a', aid, 'queues'))) do
        place(qid, ix_queue(qid), aid, a)
    end
end

-- the agent leaves the queue (or is deleted)
local function unplace(qid, aid)
    place(qid, ix_queue(qid), aid, nil)
end

-- the queue's index made anew from its agents
local function rebuild(qid, q)
    local qk = key('q', qid)
    redis.call('DEL', qk .. ':ix', qk .. ':sx', qk .. ':cls', qk .. ':n')
    for _, aid in ipairs(redis.call('ZRANGE', qk .. ':agents', 0, -1)) do
        local a = routing_fields(aid)
        if a then
            place(qid, q, aid, a)
        end
    end
    redis.call('HSET', qk, 'ix_layout', IX_LAYOUT)
    q.ix_layout = IX_LAYOUT
end

-- the queue's duty as its schedule says now; a slot that opened or closed
-- (or an index never built, or force) rebuilds the index
local function sync_duty(qid, q, force)
    local sig, open, all, who = duty_now(q)
    if not force and q.duty_sig == sig and q.ix_layout == IX_LAYOUT then
        return
    end
    local qk = key('q', qid)
    redis.call('DEL', qk .. ':duty')
    if not all and who and #who > 0 then
        for i = 1, #who, 1000 do
            redis.call('SADD', qk .. ':duty',
                       unpack(who, i, math.min(i + 999, #who)))
        end
    end
    q.duty_sig, q.duty_open, q.duty_all = sig, open and '1' or '0',
                                          all and '1' or '0'
    redis.call('HSET', qk, 'duty_sig', sig, 'duty_open', q.duty_open,
               'duty_all', q.duty_all)
    rebuild(qid, q)
end

-- the agent a new conversation of this queue goes to, and whether that
-- agent is suspended (every on-duty agent of the queue is, R2.3); a third
-- result tells that the queue is out of hours
local function pick_agent(qid, q)
    sync_duty(qid, q)

    local qk = key('q', qid)
    local s = q.strategy or 'round-robin'
    local m

    if s == 'round-robin' then
        -- the first after the one chosen last time, in queue order
        local from = '-'
        local order = q.rr and redis.call('ZSCORE', qk .. ':agents', q.rr)
        if order then
            from = '(' .. ix_member({ id = q.rr, order = order })
        end
        m = redis.call('ZRANGE', qk .. ':ix', from, '+', 'BYLEX',
                       'LIMIT', 0, 1)[1]
        if m == nil and from ~= '-' then
            m = redis.call('ZRANGE', qk .. ':ix', '-', '+', 'BYLEX',
                           'LIMIT', 0, 1)[1]
        end
    else
        m = redis.call('ZRANGE', qk .. ':ix', 0, 0)[1]
    end

    if m then
        local aid = ix_id(m)
        if s == 'weighted' then
            redis.call('HINCRBY', qk .. ':given', aid, 1)
        end
        return agent(aid), false
    end

    if q.duty_open ~= '1' then
        return nil, false, true
    end

    -- nobody available: wait for the active ones, else the suspended
    -- ones with room share (the least loaded first)
    local n = redis.call('HMGET', qk .. ':n', 'active', 'susp')
    if num(n[1], 0) > 0 then
        return nil, false
    end
    if num(n[2], 0) > 0 then
        m = redis.call('ZRANGE', qk .. ':sx', 0, 0)[1]
        if m then
            return agent(ix_id(m)), true
        end
        return nil, true
    end
    return nil, false
end

-- today's counters (R2.5, R8.2): an agent's or (kind 'q') a queue's, per
-- day of the tenant's time zone (utc_offset_minutes), kept 35 days
local function today(id, kind)
    local _, _, day = local_now()
    return key(kind or 'a', id, 'day', tostring(day))
end

-- today's figures of an agent from its counters d (R8.2): averages in ms
local function day_figures(d)
    local function avg(sum, n)
        n = num(n, 0)
        return n > 0 and math.floor(num(sum, 0) / n + 0.5) or cjson.null
    end
    return { taken = num(d.taken, 0), ended = num(d.ended, 0),
             first_response_ms = avg(d.fr_ms, d.fr_n),
             handling_ms = avg(d.handle_ms, d.ended),
             rating = num(d.rating_n, 0) > 0
                      and math.floor(num(d.rating_sum, 0) * 100
                                     / num(d.rating_n, 0) + 0.5) / 100
                      or cjson.null,
             ratings = num(d.rating_n, 0) }
end

-- adds n to field of today's counters of an agent or a queue (kind 'q')
local function count_day(id, field, n, kind)
    local k = today(id, kind)
    redis.call('HINCRBY', k, field, n)
    redis.call('EXPIRE', k, 35 * 86400)             -- kept 35 days
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
        count_day(aid, before .. '_ms', math.max(0, NOW - since))
    end
    redis.call('HSET', key('a', aid), 'status', status, 'status_since', NOW)
    a.status = status
    reindex(aid)
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
        agents = math.max(1, num(redis.call('HGET', key('q', qid, 'n'),
                                            'cap'), 0))
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

-- the indexes of every conversation (records.lua, R5.3, R5.5): by
-- arrival under the tenant, each agent that served it and each queue it
-- was in; the conversation keeps their names in its field "in" ("a:<agent>
-- q:<queue> ..."), for who may read it and for retention
local function review_index(cid, c, kind, id)
    local created = tonumber(c.created) or NOW
    if redis.call('ZADD', key('convs', kind, id), 'NX', created, cid) == 1 then
        local ck = key('c', cid)
        local was = redis.call('HGET', ck, 'in')
        redis.call('HSET', ck, 'in', (was and (was .. ' ') or '')
                                     .. kind .. ':' .. id)
    end
end

local function assign(cid, c, a, how)
    local ck = key('c', cid)
    review_index(cid, c, 'a', a.id)

    redis.call('HSET', ck, 'state', 'active', 'agent', a.id,
               'assigned', NOW, 'how', how)
    redis.call('HINCRBY', key('a', a.id), 'load', 1)
    redis.call('HSET', key('a', a.id), 'last_assign', NOW)
    reindex(a.id)
    redis.call('SADD', key('a', a.id, 'convs'), cid)
    redis.call('ZADD', key('activity'), NOW, cid)    -- silence counts from here
    count_day(a.id, 'taken', 1)
    -- R8.2: how long it waited, and whether within the queue's service
    -- level (sl_seconds, 20)
    if c.queue and c.queue ~= '' and how ~= 'transfer' then
        local waited = math.max(0, NOW - num(c.created, NOW))
        local sl = tonumber(redis.call('HGET', key('q', c.queue),
                                       'sl_seconds')) or 20
        count_day(c.queue, 'assigned', 1, 'q')
        count_day(c.queue, 'wait_ms', waited, 'q')
        if waited <= sl * 1000 then
            count_day(c.queue, 'within_sl', 1, 'q')
        end
    end

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
        local rid = CUST.id(c.customer)
        redis.call('HSET', key('cust', rid), 'last_agent', a.id,
                   'last_time', NOW)
        redis.call('SADD', key('cust', rid, 'served'), a.id)
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
    sync_duty(qid, q)
    local n = redis.call('HMGET', key('q', qid, 'n'), 'active', 'susp')
    return num(n[1], 0) == 0 and num(n[2], 0) > 0
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
                if q then
                    sync_duty(qid, q)
                end
                -- only from queues open now whose slot has it on duty
                if q and q.mode ~= 'noagent' and q.mode ~= 'pickup'
                   and on_duty(qid, q, aid)
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
    if c.customer and c.customer ~= '' then
        -- its record (customers.lua): one across channels (R1.4)
        v.customer_id = CUST.id(c.customer)
        local name = redis.call('HGET', key('cust', v.customer_id), 'name')
        if name and name ~= '' then
            v.customer_name = name
        end
    end
    if c.ob and c.ob ~= '' then
        -- through a channel (channels.lua): its name and type
        local ch = redis.call('HMGET', key('ch', c.ob), 'name', 'type')
        v.channel_name = ch[1] or c.ob
        v.channel_type = ch[2] or 'chat'
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
        reindex(c.agent)
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
    FU.callback_add('chat', cid, {          -- the callback list (followup)
        customer = c.customer, queue = c.queue, agent = c.bound,
        waited = NOW - (tonumber(c.created) or NOW) })
    redis.call('ZADD', key('ended'), NOW, cid)      -- retention.lua
    if c.queue and c.queue ~= '' then
        count_day(c.queue, 'abandoned', 1, 'q')     -- R8.2
    end
    c.state = 'abandoned'
    event('abandoned', { conversation = cid, customer = c.customer,
                         queue = c.queue or '' })
end

-- a conversation (new or transferred) enters a queue: an agent now, or
-- the queue's waiting list; returns the auto-reply text, if any
local function route_in_queue(cid, c, qid, q, t)
    c.queue = qid
    redis.call('HSET', key('c', cid), 'queue', qid)
    review_index(cid, c, 'q', qid)

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

    -- pick-up: claimed by hand, in the queue's hours only (conv_claim)
    enqueue(cid, c, key('q', qid, 'wait'))
    sync_duty(qid, q)
    if q.duty_open ~= '1' then
        return q.out_of_hours_text
    end
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
    redis.call('ZADD', key('ended'), NOW, cid)      -- retention.lua

    local from = release(cid, c)
    if from then                                    -- R8.2
        count_day(from, 'ended', 1)
        count_day(from, 'handle_ms', math.max(0, NOW - num(c.assigned, NOW)))
    end

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

-- the queue of an arrival (R3.2): the one it names, else that of the
-- first of the tenant's rules whose every field matches its facts
-- (channel, language, product) and attributes, else the fallback queue;
-- nil when none
local function arrival_queue(t, qid, facts, attrs)
    if qid ~= nil then
        return qid
    end
    for k, v in pairs(attrs or {}) do
        facts['attributes.' .. k] = v
    end
    for _, r in ipairs(cjson.decode(t.rules or '[]')) do
        local ok = true
        for f, v in pairs(r.match or {}) do
            if facts[f] ~= v then
                ok = false
                break
            end
        end
        if ok then
            return r.queue
        end
    end
    return t.fallback_queue
end
