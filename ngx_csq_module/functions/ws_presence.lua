-- flags: allow-oom
-- session: own
-- A socket's presence (R2.6).  ARGV[6]: 'renew' (the socket's lease, each
-- ping interval) or 'close' (the socket is gone).  Body { sock, lease,
-- grace }.  A socket that neither renews nor closes (its worker died)
-- runs out with its lease (the tick).
-- Agent: with no socket left, presence sets it offline after the grace
-- (the tick does), unless one comes back.
-- Customer (ID: the conversation): with no socket left, a waiting
-- customer is abandoned after the grace; a page reload comes back sooner.

-- a socket of an ended session may still say it is gone, never renew
if EXTRA ~= 'close' and not session_ok() then return session_ended() end

local b = body() or {}
local grace = tonumber(b.grace) or 30000

if type(b.sock) ~= 'string' or b.sock == '' then
    return bad('sock', 'is required')
end

if ROLE == 'customer' then
    local sk = key('c', ID, 'socks')
    if redis.call('EXISTS', key('c', ID)) == 0 then
        redis.call('DEL', sk)
    elseif EXTRA == 'renew' then
        local lease = NOW + (tonumber(b.lease) or 60000)
        redis.call('HSET', sk, b.sock, lease)
        redis.call('ZADD', key('presence'), lease, 'c:' .. ID)
    else
        redis.call('HDEL', sk, b.sock)
        if redis.call('HLEN', sk) == 0 then
            redis.call('ZADD', key('presence'), NOW + grace, 'c:' .. ID)
        end
    end
    return { 200, '{}' }
end

local sk = key('a', ACTOR, 'socks')

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
