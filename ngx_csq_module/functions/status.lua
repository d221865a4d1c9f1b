-- flags: no-writes
-- status: a health probe through the same FCALL path as every state change
-- ARGV[1]: text to echo back (may be empty)
-- returns { redis_version, unix time (seconds), echo, library version }:
-- the library that answered is the one loaded for this build

local now = redis.call('TIME')

return { redis.REDIS_VERSION or 'unknown', now[1], ARGV[1] or '', VERSION }
