-- ngx_csq_module: retention (R9.6), a part of the Redis function library.
-- What is over is kept for the tenant's retention, then the tick deletes
-- it: a bounded number a run (SWEEP_MAX of each kind, the oldest first),
-- so that no run holds Redis for long.  Each kind is a sweeper over an
-- index ordered by time; a later index joins SWEEPERS the same way.
--
-- csq:{t}:ended      conversations that ended or were abandoned, by when
--                    (retention_minutes, 90 days): the conversation, its
--                    log, its attachments and its sockets' leases, its
--                    callback entry (followup.lua) and its places in the
--                    review's indexes
-- csq:{t}:cb         the callback list by when each customer gave up
--                    (retention_minutes): the entry (followup.lua)
-- csq:{t}:plans:done contact plans done or cancelled, by when
--                    (plan_retention_minutes, 90 days): the plan
-- csq:{t}:visitors   visitors by last visit (visitor_retention_minutes,
--                    30 days): the visitor, its place in the search index
--                    and among its links' visitors
-- csq:{t}:customers  customers by last arrival (retention_minutes): the
--                    records nobody keeps (an owner, "private", the
--                    library, the blacklist or a ticket keeps one),
--                    with their notes, identities and places among
--                    favorites
-- csq:{t}:tks:solved  tickets solved, by when (ticket_retention_minutes,
--                    365 days): the ticket and its history (tickets.lua)
-- csq:{t}:calls      calls by when they rang (retention_minutes; calls.lua):
--                    the call, its place in its customer's records and
--                    on the callback list
-- csq:{t}:ob:dead    the outbox's dead letters, by when they died
--                    (outbox_dead_minutes, 30 days; outbox.lua)
-- csq:{t}:events     the event stream, by its entries' time
--                    (retention_minutes; also capped at 10,000 entries)
--
-- Nothing a live conversation needs is in these indexes: a conversation
-- is in "ended" only once it is over.

local SWEEP_MAX = 200
local DAY_MINUTES = 24 * 60

local SWEEPERS = {
    { index = 'ended', field = 'retention_minutes',
      default = 90 * DAY_MINUTES,
      drop = function(cid)
          -- out of the review's indexes (records.lua); its customer's
          -- records keep its id and say it was deleted
          local within = redis.call('HGET', key('c', cid), 'in') or ''
          for kind, id in string.gmatch(within, '(%a):(%S+)') do
              redis.call('ZREM', key('convs', kind, id), cid)
          end
          redis.call('ZREM', key('convs'), cid)
          -- its attachments (attach_put.lua), off the tenant's quota
          local ak = key('c', cid, 'att')
          for _, aid in ipairs(redis.call('SMEMBERS', ak)) do
              local size = redis.call('HGET', key('att', aid), 'size')
              if size then
                  redis.call('DECRBY', key('att', 'bytes'), size)
                  redis.call('UNLINK', key('att', aid))
              end
          end
          redis.call('UNLINK', ak)
          redis.call('UNLINK', key('c', cid), key('log', cid),
                     key('c', cid, 'socks'), key('c', cid, 'notes'),
                     key('c', cid, 'dlv'))
          FU.callback_drop('chat.' .. cid)              -- followup.lua
      end },
    -- the callback list (followup.lua): an abandoned chat's entry goes
    -- with its conversation; this takes every kind's at the same age
    { index = 'cb', field = 'retention_minutes',
      default = 90 * DAY_MINUTES, drop = FU.callback_drop },
    -- done and cancelled contact plans (followup.lua)
    { index = 'plans:done', field = 'plan_retention_minutes',
      default = 90 * DAY_MINUTES, drop = FU.plan_drop },
    { index = 'visitors', field = 'visitor_retention_minutes',
      default = 30 * DAY_MINUTES,
      drop = function(vid)
          local vk = key('visitor', vid)
          for f in pairs(hash(vk) or {}) do
              local lid = string.match(f, '^l:(.+)$')
              if lid then
                  redis.call('SREM', key('link', lid, 'visitors'), vid)
                  redis.call('ZREM', key('link', lid, 'recent'), vid)
              end
          end
          redis.call('DEL', vk)
          redis.call('ZREM', key('visitors', 'ids'), vid)
          -- the pages of a visitor that never became a customer
          if redis.call('EXISTS', key('cust', vid)) == 0 then
              redis.call('DEL', key('cust', vid, 'trail'))
          end
      end },
    { index = 'calls', field = 'retention_minutes',
      default = 90 * DAY_MINUTES, drop = CALL.drop },    -- calls.lua
    { index = 'ob:dead', field = 'outbox_dead_minutes',
      default = 30 * DAY_MINUTES,
      drop = function(mid)
          redis.call('UNLINK', key('ob', mid))          -- outbox.lua
      end },
    { index = 'customers', field = 'retention_minutes',
      default = 90 * DAY_MINUTES,
      drop = function(id)
          local c = CUST.get(id)
          if c and (c.owner or '') == '' and c.private ~= '1'
             and c.library ~= '1' and c.blacklisted ~= '1'
             and redis.call('EXISTS', key('cust', id, 'tickets')) == 0 then
              CUST.drop(c)
          end
      end },
    { index = 'tks:solved', field = 'ticket_retention_minutes',
      default = 365 * DAY_MINUTES, drop = function(id) TK.drop(id) end },
}

-- the time before which a kind's entries go
local function retained_since(t, field, default)
    return NOW - num(t[field], default) * 60000
end

-- one bounded run over every kind; returns how many entries went
local function sweep(t)
    local n = 0
    for _, s in ipairs(SWEEPERS) do
        local k = key(s.index)
        local ids = redis.call('ZRANGEBYSCORE', k, '-inf',
                               '(' .. retained_since(t, s.field, s.default),
                               'LIMIT', 0, SWEEP_MAX)
        for _, id in ipairs(ids) do
            s.drop(id)
        end
        if #ids > 0 then
            redis.call('ZREM', k, unpack(ids))
            n = n + #ids
        end
    end
    n = n + redis.call('XTRIM', key('events'), 'MINID',
                       retained_since(t, 'retention_minutes',
                                      90 * DAY_MINUTES))
    return n
end
