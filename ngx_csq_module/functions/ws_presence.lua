-- flags: allow-oom
-- A socket's presence (R2.6).  ARGV[6]: 'renew' (an agent socket's lease,
-- each ping interval) or 'close' (the socket is gone).
-- Agent: body { sock, lease, grace }: with no socket left, presence sets
-- it offline after the grace (the tick does), unless one comes back.
-- Customer (ID: the conversation): with no socket left, a waiting
-- customer is abandoned after the grace; a page reload comes back sooner.

local b = body() or {}
local grace = tonumber(b.grace) or 30000

if ROLE == 'customer' then
    local ck = key('c', ID)
    if EXTRA == 'close' and redis.call('EXISTS', ck) == 1 then
        local n = redis.call('HINCRBY', ck, 'socks', -1)
        if n <= 0 then
            redis.call('HSET', ck, 'socks', 0)
            local state = redis.call('HGET', ck, 'state')
            if state == 'queued' or state == 'new' then
                redis.call('ZADD', key('presence'), NOW + grace, 'c:' .. ID)
            end
        end
    end
    return { 200, '{}' }
end

local sk = key('a', ACTOR, 'socks')
if type(b.sock) ~= 'string' or b.sock == '' then
    return bad('sock', 'is required')
end

if EXTRA == 'renew' then
    local lease = NOW + (tonumber(b.lease) or 60000)
    redis.call('HSET', sk, b.sock, lease)
    redis.call('ZADD', key('presence'), lease, 'a:' .. ACTOR)
    return { 200, '{}' }
end

redis.call('HDEL', sk, b.sock)
if redis.call('HLEN', sk) == 0 then
    redis.call('ZADD', key('presence'), NOW + grace, 'a:' .. ACTOR)
end
return { 200, '{}' }
