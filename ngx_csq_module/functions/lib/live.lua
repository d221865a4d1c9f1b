-- ngx_csq_module: live delivery, a part of the Redis function library.
--
-- Every conversation has a durable, ordered log: the stream
-- csq:{t}:log:<conversation>, one entry per message or system event, the
-- message as JSON in field "m".  Sockets listen on pub/sub channels:
--   csq:{t}:live:c:<conversation>   the customer's sockets
--   csq:{t}:live:a:<agent>          the agent's sockets (all its chats)
--   csq:{t}:live:q:<queue>          agents of the queue, supervisors
-- A channel message is "L <conversation> <id>\n<frame>" for a log entry
-- (the socket skips what it has already sent) or "E\n<frame>" for
-- something passing (typing, queue position, status).  Pub/sub is at most
-- once: after a reconnect the sockets read the log from their last id.

-- the outbox (outbox.lua fills it in): what a channel's customer is to
-- get goes out through it; declared here for log_append()
local OB = {}

local function ended(c)
    return c.state == 'ended' or c.state == 'abandoned'
end

-- a socket's side in conversation ID: 'customer' (its own) or 'agent'
-- (its agent, one it waits for if bound_ok, a supervisor); or nil and 403
local function side_of(c, bound_ok)
    if ROLE == 'customer' then
        if customer_owns(ID, c) then
            return 'customer'
        end
    elseif c.agent == ACTOR or ROLES[ROLE] >= ROLES.supervisor
           or (bound_ok and c.bound == ACTOR) then
        return 'agent'
    end
    return nil, fail(403, 'forbidden', 'not your conversation')
end

local function chan(kind, id)
    return key('live', kind, id)
end

-- a log entry as the frame a client gets
local function log_frame(cid, id, json)
    return '{"type":"message","conversation":' .. cjson.encode(cid)
           .. ',"id":"' .. id .. '",' .. string.sub(json, 2)
end

-- appends msg to the conversation's log and wakes its customer and the
-- given agents; returns the entry id and the entry as its client frame.
-- has_log: the caller knows the log has entries already (the
-- conversation's last_id), so it is not asked; 'marked': and the
-- conversation is marked for search already (its sxm; search.lua), so the
-- hot path makes no SADD a message; ...: more fields and values of the
-- conversation to set with its last_id (one HSET)
local function log_append(cid, msg, agents, has_log, ...)
    msg.at = NOW
    local json = cjson.encode(msg)
    local k = key('log', cid)
    local new = not has_log and redis.call('EXISTS', k) == 0
    local id = redis.call('XADD', k, '*', 'm', json)
    if new then
        -- Redis 7.0 gives a new stream a 4 KB node up front; most logs
        -- of waiting conversations hold one entry: written again at its
        -- size (about 700 bytes instead of 4,700), later entries grow it
        redis.call('RESTORE', k, 0, redis.call('DUMP', k), 'REPLACE')
    end
    if (msg.text or msg.title) and has_log ~= 'marked' then
        redis.call('SADD', key('sx', 'dirty'), cid)     -- search.lua
    end
    local frame = log_frame(cid, id, json)
    local payload = 'L ' .. cid .. ' ' .. id .. '\n' .. frame
    redis.call('PUBLISH', chan('c', cid), payload)
    local seen = {}
    for _, aid in ipairs(agents or {}) do
        if aid and aid ~= '' and not seen[aid] then
            seen[aid] = true
            redis.call('PUBLISH', chan('a', aid), payload)
        end
    end
    redis.call('HSET', key('c', cid), 'last_id', id, ...)
    if msg.from and msg.from.role ~= 'customer' then
        OB.message(cid, msg, id)        -- to a channel's customer
    end
    return id, frame
end

-- something passing, to one channel
local function live(kind, id, frame)
    redis.call('PUBLISH', chan(kind, id), 'E\n' .. cjson.encode(frame))
end

local function agent_card(aid)
    local a = redis.call('HMGET', key('a', aid), 'name', 'avatar')
    return { id = aid, name = a[1] or aid, avatar = a[2] or '' }
end

-- routing events that become part of a conversation's log
local LOGGED = { assigned = true, transferred = true, ended = true,
                 abandoned = true, queued = true }

-- what changes an agent's line on the supervisors' monitor (R8.3): it is
-- told on the tenant's team channel, which supervisors' sockets hear
-- (ws_open.lua); a conversation's messages are not (the hot path)
local TEAM = { assigned = true, transferred = true, ended = true,
               status = true, reception = true, agent_deleted = true }

-- an event on the tenant's stream (capped), pushed to whom it concerns
local function event(kind, fields)
    local args = { 'XADD', key('events'), 'MAXLEN', '~', 10000, '*',
                   'type', kind, 'at', tostring(NOW) }
    for k, v in pairs(fields) do
        args[#args + 1] = k
        args[#args + 1] = tostring(v)
    end
    redis.call(unpack(args))

    local cid = fields.conversation
    if TEAM[kind] then
        live('s', 'team', { type = 'team', event = kind,
                            agent = fields.agent or fields.from or '',
                            to_agent = fields.to_agent, conversation = cid })
    end
    if cid and LOGGED[kind] then
        local m = { kind = 'system', event = kind }
        local to = {}
        if kind == 'assigned' then
            m.agent = agent_card(fields.agent)
            m.how = fields.how
            to[1] = fields.agent
        elseif kind == 'transferred' then
            m.from_agent = fields.from
            m.to_agent = fields.to_agent
            m.to_queue = fields.to_queue
            to[1] = fields.from
        elseif kind == 'ended' then
            m.reason = fields.reason
            to[1] = fields.agent
        elseif kind == 'queued' then
            m.queue = fields.queue
        end
        log_append(cid, m, to)
        if fields.queue and fields.queue ~= '' then
            live('q', fields.queue, { type = 'queue', queue = fields.queue,
                                      event = kind, conversation = cid })
        end
    elseif fields.agent and (kind == 'status' or kind == 'reception') then
        local f = { type = kind, agent = fields.agent }
        f[kind] = fields[kind]
        if kind == 'reception' then
            f.reception = fields.reception == 'true'
        end
        live('a', fields.agent, f)
    end
end

-- the log after an id (exclusive), or its newest entries, as a flat list
-- id, frame, id, frame ...; and whether more are left.  At most limit
-- entries, and, given bytes, no more frames than fit in it (one at
-- least): a socket reads back at the pace its client reads
local function log_since(cid, after, limit, bytes)
    local k = key('log', cid)
    local out, size, more = {}, 0, false
    local function add(e)
        local f = log_frame(cid, e[1], e[2][2])
        if bytes and #out > 0 and size + #f > bytes then
            return false
        end
        size = size + #f
        out[#out + 1] = e[1]
        out[#out + 1] = f
        return true
    end
    if after and after ~= '' then
        local entries = redis.call('XRANGE', k, '(' .. after, '+',
                                   'COUNT', limit + 1)
        more = #entries > limit
        for i = 1, math.min(#entries, limit) do
            if not add(entries[i]) then
                more = true
                break
            end
        end
        return out, more
    end
    -- the newest that fit, in order
    local newest = redis.call('XREVRANGE', k, '+', '-', 'COUNT', limit)
    local frames = {}
    for _, e in ipairs(newest) do
        local f = log_frame(cid, e[1], e[2][2])
        if bytes and #frames > 0 and size + #f > bytes then
            break
        end
        size = size + #f
        frames[#frames + 1] = f
    end
    for i = #frames, 1, -1 do
        out[#out + 1] = newest[i][1]
        out[#out + 1] = frames[i]
    end
    return out, #frames < #newest or redis.call('XLEN', k) > limit
end

-- a stream entry id "<ms>-<seq>", each part a 64-bit unsigned number
local U64 = '18446744073709551615'

local function u64(d)
    d = string.gsub(d, '^0+(%d)', '%1')
    return #d < #U64 or (#d == #U64 and d <= U64)
end

local function valid_entry_id(s)
    if type(s) ~= 'string' or #s > 41 then
        return false
    end
    local ms, seq = string.match(s, '^(%d+)%-(%d+)$')
    return ms ~= nil and u64(ms) and u64(seq)
end
