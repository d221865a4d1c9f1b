-- ngx_csq_module: follow-up (R7.4, R4.9, R7.5), a part of the Redis
-- function library: contact plans with their reminders, and the callback
-- list of customers who gave up before anyone served them.
--
-- A contact plan (R7.4, seed 003 "联系计划") is a promise to contact a
-- customer of the library between `start` and `due`, by its assignee:
--   csq:{t}:plan:<id>            the plan (hash), id "p<n>"
--   csq:{t}:plans:open           open plans by due (zset; the tenant's cap)
--   csq:{t}:plans:open:<agent>   the same, one assignee's (its cap)
--   csq:{t}:plans:remind         open plans not reminded yet, by due: the
--                                tick takes those due out of it and pushes
--                                their reminders in the same call, so that
--                                each is reminded once whichever worker of
--                                whichever node ticks (FU.remind_step)
--   csq:{t}:plans:done           done or cancelled plans by when (retention:
--                                plan_retention_minutes)
--   csq:{t}:plans:done:<agent>   the same, one assignee's
-- A reminder is a "plan_due" frame on the assignee's channel; a socket
-- that was not there gets the count of its due plans in its hello
-- (ws_hello.lua: plans_due), and a plan stays due until it is done,
-- cancelled or moved.
--
-- The callback list (R4.9, R7.5): a customer who tried and was not served
-- (an abandoned chat, later a lost call), to be called back:
--   csq:{t}:cb:<id>              the entry (hash), id "<kind>.<ref>" (a
--                                chat's ref is its conversation)
--   csq:{t}:cb:open, csq:{t}:cb:done   waiting / called back, by when the
--                                      customer gave up
--   csq:{t}:cb                   every entry by that time (retention, with
--                                the conversations': retention_minutes)
-- Another kind joins with FU.callback_add(kind, ref, fields).

-- the library's helpers of follow-up, in one table (the library is one
-- Lua chunk, and a chunk has at most 200 locals: lib/ORDER)
local FU = { SCAN = 1000,           -- entries a list call reads at most
             REMIND_STEP = 100,     -- reminders a tick sends at most
             -- the tenant's settings: { name, check, lo, hi, default }
             SETTINGS = {
                 { 'plans_per_agent_max', 'int', 1, 10000, 200 },
                 { 'plans_max', 'int', 1, 1000000, 10000 },
                 { 'plan_retention_minutes', 'int', 1,
                   10 * 365 * 24 * 60, 90 * 24 * 60 } } }

-- the tenant's follow-up settings (tenant hash t) by name, added to v
-- if given (a tenant's view)
function FU.settings(t, v)
    v = v or {}
    for _, s in ipairs(FU.SETTINGS) do
        v[s[1]] = tonumber(t[s[1]]) or s[5]
    end
    return v
end

-- ---- contact plans

function FU.plan(id)
    return valid_id(id) and record(key('plan', id), id) or nil
end

-- may the caller see (and change) plan p?  Supervisors all, an agent
-- those assigned to it or made by it
function FU.plan_visible(p)
    return (ROLES[ROLE] or 0) >= ROLES.supervisor or p.assignee == ACTOR
           or p.created_by == ACTOR
end

function FU.plan_view(p)
    local cid = CUST.id(p.customer)
    local name = redis.call('HGET', key('cust', cid), 'name')
    local function t(v) return tonumber(v) or cjson.null end
    return { id = p.id, customer = cid,
             customer_name = (name and name ~= '') and name or cjson.null,
             start = tonumber(p.start), due = tonumber(p.due),
             assignee = p.assignee, note = p.note or '',
             status = p.status, created_by = p.created_by,
             created = tonumber(p.created),
             done_by = (p.done_by or '') ~= '' and p.done_by or cjson.null,
             done = t(p.done), reminded = t(p.reminded),
             due_now = p.status == 'open' and tonumber(p.due) <= NOW }
end

-- nil while agent aid may get one more open plan (moved: one the tenant
-- has already), else the 409
function FU.plan_full(aid, moved)
    local s = FU.settings(hash(KEYS[1]))
    if redis.call('ZCARD', key('plans', 'open', aid))
       >= s.plans_per_agent_max then
        return fail(409, 'too_many_plans', aid .. ' has '
                    .. s.plans_per_agent_max .. ' open contact plans: '
                    .. 'finish some first')
    end
    if not moved and redis.call('ZCARD', key('plans', 'open'))
                     >= s.plans_max then
        return fail(409, 'too_many_plans', 'the team has ' .. s.plans_max
                    .. ' open contact plans: finish some first')
    end
    return nil
end

-- open plan p (as it is now) in the open lists and, unless reminded, in
-- the tick's
function FU.plan_index(p)
    redis.call('ZADD', key('plans', 'open'), p.due, p.id)
    redis.call('ZADD', key('plans', 'open', p.assignee), p.due, p.id)
    if (p.reminded or '') == '' then
        redis.call('ZADD', key('plans', 'remind'), p.due, p.id)
    end
end

-- plan p out of the open lists (of its assignee then)
function FU.plan_unindex(p)
    redis.call('ZREM', key('plans', 'open'), p.id)
    redis.call('ZREM', key('plans', 'open', p.assignee), p.id)
    redis.call('ZREM', key('plans', 'remind'), p.id)
end

-- a plan's change told to its assignee's sockets (the workbench's list)
function FU.plan_told(p, aid)
    live('a', aid or p.assignee, { type = 'plan', plan = FU.plan_view(p) })
end

-- retention: done plan id goes
function FU.plan_drop(id)
    local aid = redis.call('HGET', key('plan', id), 'assignee')
    if aid then
        redis.call('ZREM', key('plans', 'done', aid), id)
    end
    redis.call('UNLINK', key('plan', id))
end

-- the tick (R7.4): the plans due now, taken from the tick's list and
-- reminded in this one call (at most REMIND_STEP; the rest next tick):
-- atomic, so two nodes ticking at once remind each once.  Returns how
-- many were reminded.
function FU.remind_step()
    local rk = key('plans', 'remind')
    local ids = redis.call('ZRANGEBYSCORE', rk, '-inf', NOW, 'LIMIT', 0,
                           FU.REMIND_STEP)
    for _, id in ipairs(ids) do
        local p = record(key('plan', id), id)
        if p and p.status == 'open' then
            redis.call('HSET', key('plan', id), 'reminded', NOW)
            p.reminded = tostring(NOW)
            live('a', p.assignee, { type = 'plan_due',
                                    plan = FU.plan_view(p) })
        end
    end
    if #ids > 0 then
        redis.call('ZREM', rk, unpack(ids))
    end
    return #ids
end

-- agent aid's open plans that are due now (its workbench's badge)
function FU.due_count(aid)
    return redis.call('ZCOUNT', key('plans', 'open', aid), '-inf', NOW)
end

-- ---- lists

-- a page of zset k in score order (rev: highest first) between lo and
-- hi, after the cursor "<score>,<member>" (exclusive; nil: from the
-- start): at most n members that keep(member) takes, reading at most
-- FU.SCAN; and the cursor of the next page (nil: there is no more)
function FU.page(k, rev, lo, hi, after, n, keep)
    local s, last = string.match(after or '', '^(%-?%d+),(.+)$')
    local from = s or (rev and hi or lo)
    local out, off, read = {}, 0, 0
    while true do
        local got
        if rev then
            got = redis.call('ZREVRANGEBYSCORE', k, from, lo, 'WITHSCORES',
                             'LIMIT', off, 100)
        else
            got = redis.call('ZRANGEBYSCORE', k, from, hi, 'WITHSCORES',
                             'LIMIT', off, 100)
        end
        for i = 1, #got, 2 do
            local m, sc = got[i], got[i + 1]
            -- members of the cursor's score up to it came before
            if not (last and sc == s
                    and ((rev and m >= last) or (not rev and m <= last)))
            then
                read = read + 1
                if keep(m) then
                    out[#out + 1] = m
                end
                if #out >= n or read >= FU.SCAN then
                    return out, sc .. ',' .. m
                end
            end
        end
        if #got < 200 then
            return out, nil
        end
        off = off + 100
    end
end

-- ---- the callback list

-- the entry id, or nil
function FU.callback(id)
    return valid_id(id) and record(key('cb', id), id) or nil
end

-- The entry point of every kind: someone (a customer) tried to reach the
-- tenant and was not served.  kind: 'chat' (route.lua's abandon()) or
-- 'call' (a lost call, R7.5); ref: the conversation's or the call's id;
-- f: { customer, queue, agent (whose it is, if anyone's), waited (ms),
-- at (when it gave up; default now) }.  Idempotent by kind and ref (a
-- webhook delivered twice adds one).  Returns the entry's id and whether
-- it is new.
function FU.callback_add(kind, ref, f)
    local id = kind .. '.' .. ref
    local k = key('cb', id)
    if redis.call('EXISTS', k) == 1 then
        return id, false
    end
    local at = f.at or NOW
    redis.call('HSET', k, 'kind', kind, 'ref', ref, 'status', 'open',
               'customer', f.customer or '', 'queue', f.queue or '',
               'agent', f.agent or '', 'waited', f.waited or 0, 'at', at)
    redis.call('ZADD', key('cb', 'open'), at, id)
    redis.call('ZADD', key('cb'), at, id)
    event('callback', { callback = id, kind = kind, queue = f.queue or '',
                        customer = f.customer or '' })
    if f.queue and f.queue ~= '' then
        live('q', f.queue, { type = 'callback', callback = id })
    end
    return id, true
end

-- entry id goes (retention: with its conversation, or by its own time)
function FU.callback_drop(id)
    redis.call('UNLINK', key('cb', id))
    for _, k in ipairs({ key('cb', 'open'), key('cb', 'done'), key('cb') }) do
        redis.call('ZREM', k, id)
    end
end

-- may the caller see (and call back) entry e?  Supervisors all; an agent
-- those of its queues, those that were its own, those of its customers
function FU.callback_visible(e)
    local r = ROLES[ROLE] or 0
    if r ~= ROLES.agent then
        return r >= ROLES.supervisor
    end
    if e.agent == ACTOR or (e.queue ~= '' and redis.call('SISMEMBER',
            key('a', ACTOR, 'queues'), e.queue) == 1) then
        return true
    end
    return e.customer ~= '' and redis.call('HGET',
        key('cust', CUST.id(e.customer)), 'owner') == ACTOR
end

function FU.callback_view(e)
    local cid = e.customer ~= '' and CUST.id(e.customer) or nil
    local name = cid and redis.call('HGET', key('cust', cid), 'name')
    local function s(v) return (v or '') ~= '' and v or cjson.null end
    return { id = e.id, kind = e.kind, ref = e.ref,
             conversation = e.kind == 'chat' and e.ref or cjson.null,
             customer = s(cid), customer_name = s(name or nil),
             queue = s(e.queue), agent = s(e.agent),
             at = tonumber(e.at), waited = tonumber(e.waited) or 0,
             status = e.status, done_by = s(e.done_by),
             done = tonumber(e.done) or cjson.null, outcome = e.outcome or '' }
end
