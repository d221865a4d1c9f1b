-- ngx_csq_module: the outbox (R1.4, R7.2, R7.3), a part of the Redis
-- function library.
--
-- What goes to another system (a channel's customer, the telephony
-- system, the SMS gateway) is written here first, in the same call as
-- what it comes of, and nginx sends it (ngx_csq_outbox.c): any worker of
-- any node claims entries (outbox_claim.lua), posts each to its channel's
-- url with the entry's id as its Idempotency-Key, and says how it went
-- (outbox_done.lua).  An entry is claimed by one sender at a time, for a
-- lease; a sender that dies lets its lease run out and another sends the
-- entry again (at least once: the receiver drops the duplicate by its
-- key).  5xx, 408, 429 and no answer are tried again with backoff, up to
-- the channel's retry_max; then, or on another 4xx, the entry is dead: an
-- admin sees it and may send it again (outbox_retry.lua).
--
-- csq:{t}:ob:<id>          an entry: lane, kind, channel, body (the JSON
--                          posted), attempts, state (queued, sending,
--                          dead), due, status and error (the last try's),
--                          conv and entry (a message: its conversation
--                          and log entry), created
-- csq:{t}:ob:lane:<lane>   a lane's entries in order: a conversation's
--                          messages go out one after another
-- csq:{t}:ob:due           the lanes' first entries, by when due
-- csq:{t}:ob:fly           entries being sent, by when their lease ends
-- csq:{t}:ob:dead          entries given up, by when (retention.lua)
-- csq:{t}:ob:n             entries queued or in flight (<= outbox_max)
-- csq:{t}:c:<cid>:dlv      a conversation's messages' delivery states
--                          (and "<entry>:why": a failure's detail)
--
-- Senders hear "<tenant>" on pub/sub channel csq:outbox when there is
-- something new to send, and the tick looks for what is due besides
-- (tick.lua), so a lost wake-up delays an entry by a tick at most.

OB.MAX = 100000
OB.DEAD_MAX = 10000
OB.RETRY_CAP_MS = 300000

-- a message's fields a channel gets
OB.FIELDS = { 'kind', 'text', 'url', 'name', 'size', 'mime', 'title',
              'description', 'image', 'attachment', 'actions', 'from', 'at' }

-- delivery states in order: a later report never takes one back
OB.ORDER = { queued = 1, sent = 2, delivered = 3, read = 4, failed = 5 }

-- wakes the senders
function OB.wake()
    redis.call('PUBLISH', 'csq:outbox', TENANT)
end

-- the time the first entry is due or its lease ends; 0: nothing to do
function OB.next_due()
    local d = redis.call('ZRANGE', key('ob', 'due'), 0, 0, 'WITHSCORES')
    local f = redis.call('ZRANGE', key('ob', 'fly'), 0, 0, 'WITHSCORES')
    local t = math.min(tonumber(d[2]) or math.huge, tonumber(f[2])
                       or math.huge)
    return t == math.huge and 0 or t
end

-- entry p (a table, given its id here) into channel chid's lane; returns
-- its id, or nil and the error when the tenant's outbox is full
function OB.push(lane, kind, chid, p, conv, entry)
    local max = tonumber(redis.call('HGET', KEYS[1], 'outbox_max'))
                or OB.MAX
    if redis.call('INCR', key('ob', 'n')) > max then
        redis.call('DECR', key('ob', 'n'))
        return nil, fail(507, 'outbox_full',
                         'too much is waiting to go out: try again later')
    end
    local mid = 'o' .. redis.call('HINCRBY', KEYS[1], 'ob_seq', 1)
    p.id = mid
    redis.call('HSET', key('ob', mid), 'lane', lane, 'kind', kind,
               'channel', chid, 'body', cjson.encode(p), 'attempts', 0,
               'state', 'queued', 'created', NOW, 'conv', conv or '',
               'entry', entry or '')
    if redis.call('RPUSH', key('ob', 'lane', lane), mid) == 1 then
        redis.call('ZADD', key('ob', 'due'), NOW, mid)
        OB.wake()
    end
    return mid
end

-- the lane's next entry is due now that mid is off its head
function OB.advance(lane, mid)
    local lk = key('ob', 'lane', lane)
    redis.call('LREM', lk, 1, mid)
    local nx = redis.call('LINDEX', lk, 0)
    if nx then
        redis.call('ZADD', key('ob', 'due'), NOW, nx)
    end
end

-- a message's delivery state (a later one never goes back but for a
-- resend: again), told to the conversation's agent; a failure's detail
-- is kept beside it as "<entry>:why" (GET delivery's details)
function OB.delivery(cid, entry, state, detail, again)
    local k = key('c', cid, 'dlv')
    local was = redis.call('HGET', k, entry)
    if was and OB.ORDER[was] >= OB.ORDER[state] and state ~= 'failed'
       and not again then
        return
    end
    redis.call('HSET', k, entry, state)
    if state == 'failed' then
        redis.call('HSET', k, entry .. ':why', detail or '')
    else
        redis.call('HDEL', k, entry .. ':why')
    end
    local agent = redis.call('HGET', key('c', cid), 'agent')
    if agent and agent ~= '' then
        live('a', agent, { type = 'delivery', conversation = cid,
                           entry = entry, state = state, detail = detail })
    end
end

-- entry mid (hash e) leaves the queue: sent (then it goes) or dead
function OB.finish(mid, e, state, detail)
    redis.call('ZREM', key('ob', 'fly'), mid)
    redis.call('ZREM', key('ob', 'due'), mid)
    redis.call('DECR', key('ob', 'n'))
    OB.advance(e.lane, mid)
    if e.conv ~= '' and e.entry ~= '' then
        OB.delivery(e.conv, e.entry, state == 'dead' and 'failed' or state,
                    detail)
    end
    if state == 'dead' then
        redis.call('HSET', key('ob', mid), 'state', 'dead', 'died', NOW)
        local dk = key('ob', 'dead')
        redis.call('ZADD', dk, NOW, mid)
        local over = redis.call('ZCARD', dk) - OB.DEAD_MAX
        if over > 0 then
            for _, old in ipairs(redis.call('ZRANGE', dk, 0, over - 1)) do
                redis.call('UNLINK', key('ob', old))
            end
            redis.call('ZREMRANGEBYRANK', dk, 0, over - 1)
        end
    else
        redis.call('UNLINK', key('ob', mid))
    end
end

-- log entry id (message msg) of conversation cid goes out when the
-- conversation is a channel's (its "ob")
function OB.message(cid, msg, id)
    local c = redis.call('HMGET', key('c', cid), 'ob', 'ob_user')
    if not c[1] or msg.kind == 'system' then
        return
    end
    local p = { type = 'message', tenant = TENANT, channel = c[1],
                user = c[2], conversation = cid, entry = id }
    for _, f in ipairs(OB.FIELDS) do
        p[f] = msg[f]
    end
    local mid, err = OB.push(cid, 'message', c[1], p, cid, id)
    OB.delivery(cid, id, mid and 'queued' or 'failed',
                err and 'outbox_full' or nil)
end

-- an entry's view for its admin
function OB.view(mid, e)
    return { id = mid, kind = e.kind, channel = e.channel, state = e.state,
             attempts = tonumber(e.attempts), created = tonumber(e.created),
             died = tonumber(e.died), status = tonumber(e.status),
             error = e.error, conversation = e.conv ~= '' and e.conv or nil,
             entry = e.entry ~= '' and e.entry or nil,
             body = cjson.decode(e.body) }
end
