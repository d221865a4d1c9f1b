-- status: a health probe through the same EVALSHA path as every state change
-- ARGV[1]: text to echo back (may be empty)
-- returns { redis_version, unix time (seconds), echo }

local info = redis.call('INFO', 'server')
local version = string.match(info, 'redis_version:([%w%.%-]+)') or 'unknown'
local now = redis.call('TIME')

return { version, now[1], ARGV[1] or '' }
