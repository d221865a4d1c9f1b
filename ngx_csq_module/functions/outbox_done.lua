-- flags: none
-- A sender of nginx says how sending outbox entry ID went (outbox.lua):
-- EXTRA "<attempt> <HTTP status, 0 for no answer> <what went wrong>".
-- 2xx: sent (the entry goes); 5xx, 408, 429 or no answer: tried again
-- after retry_base_ms doubling (at most 5 minutes) until the channel's
-- retry_max; else dead.  A claim that is not the entry's latest (its lease
-- ran out and it was claimed again) changes nothing.
-- Returns { next due time (0 none), 1 if counted else 0 }.

local attempt, status, detail = string.match(EXTRA, '^(%d+) (%d+) ?(.*)$')
attempt, status = tonumber(attempt), tonumber(status)
if not attempt then return fail(400, 'invalid_field', 'EXTRA') end

local e = hash(key('ob', ID))
if e == nil or e.state ~= 'sending' or tonumber(e.attempts) ~= attempt then
    return { OB.next_due(), 0 }
end
detail = string.sub(detail or '', 1, 200)
redis.call('HSET', key('ob', ID), 'status', status, 'error', detail)

if status >= 200 and status < 300 then
    OB.finish(ID, e, 'sent')
    return { OB.next_due(), 1 }
end

local ch = CH.get(e.channel) or {}
local again = status == 0 or status == 408 or status == 429 or status >= 500
if again and attempt < tonumber(ch.retry_max or 10) then
    local wait = math.min(tonumber(ch.retry_base_ms or 1000)
                          * 2 ^ (attempt - 1), OB.RETRY_CAP_MS)
    redis.call('ZREM', key('ob', 'fly'), ID)
    redis.call('ZADD', key('ob', 'due'), NOW + wait, ID)
    redis.call('HSET', key('ob', ID), 'state', 'queued', 'due', NOW + wait)
else
    OB.finish(ID, e, 'dead', detail ~= '' and detail or tostring(status))
end
return { OB.next_due(), 1 }
