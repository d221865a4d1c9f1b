-- flags: none
-- A sender of nginx claims what is due in the tenant's outbox (outbox.lua,
-- ngx_csq_outbox.c): EXTRA "<at most> <lease ms>".  Entries whose lease
-- ran out (their sender died or hangs) are due again first.  Returns
-- { next due time (0 none), { id, attempt, channel, key generation, url,
-- body } ... }; an entry whose channel is gone, turned off or has no url
-- is dead at once.

local max, lease = string.match(EXTRA, '^(%d+) (%d+)$')
max, lease = tonumber(max), tonumber(lease)
if not max then return fail(400, 'invalid_field', 'EXTRA') end

local due, fly = key('ob', 'due'), key('ob', 'fly')
for _, mid in ipairs(redis.call('ZRANGEBYSCORE', fly, '-inf', NOW,
                                'LIMIT', 0, 100)) do
    redis.call('ZREM', fly, mid)
    redis.call('HSET', key('ob', mid), 'state', 'queued',
               'error', 'no answer within the lease')
    redis.call('ZADD', due, NOW, mid)
end

local out = { 0 }
local chans = {}        -- a claim's entries are mostly of one channel
local ids = max > 0 and redis.call('ZRANGEBYSCORE', due, '-inf', NOW,
                                   'LIMIT', 0, max) or {}
for _, mid in ipairs(ids) do
    local e = hash(key('ob', mid))
    local ch = e and chans[e.channel]
    if e and ch == nil then
        ch = CH.get(e.channel) or false
        chans[e.channel] = ch
    end
    local why = not ch and 'no_channel'
                or ch.enabled == '0' and 'channel_disabled'
                or (ch.url or '') == '' and 'no_url' or nil
    if e == nil then
        redis.call('ZREM', due, mid)
    elseif why then
        OB.finish(mid, e, 'dead', why)
        redis.call('HSET', key('ob', mid), 'error', why)
    else
        redis.call('ZREM', due, mid)
        redis.call('ZADD', fly, NOW + lease, mid)
        local n = redis.call('HINCRBY', key('ob', mid), 'attempts', 1)
        redis.call('HSET', key('ob', mid), 'state', 'sending')
        out[#out + 1] = { mid, n, e.channel, tostring(ch.generation or 1),
                          ch.url, e.body }
    end
end
out[1] = OB.next_due()
return out
