-- flags: none
-- PUT tenants/<t>/agents/<id>/extension (R7.1): the phone extension an
-- agent takes its calls on, { extension: "8001" (1-32 of 0-9 A-Z a-z * #
-- - .) or "" (none) }; an agent binds its own, a supervisor anyone's.  An
-- extension is one agent's: binding it takes it from whoever had it.

local b, err = body_prologue()
if err then return err end
local a = agent(ID)
if a == nil then return fail(404, 'not_found', 'no such agent') end
local ext = b.extension
if type(ext) ~= 'string' or #ext > 32
   or (ext ~= '' and not string.match(ext, '^[%w*#.%-]+$')) then
    return bad('extension', 'must be 1-32 of 0-9 A-Z a-z * # - ., or ""')
end

local ek = key('ext')
local was = redis.call('HGET', key('a', ID), 'extension')
if was and was ~= '' and redis.call('HGET', ek, was) == ID then
    redis.call('HDEL', ek, was)
end
if ext ~= '' then
    local holder = redis.call('HGET', ek, ext)
    if holder and holder ~= ID then
        redis.call('HSET', key('a', holder), 'extension', '')
    end
    redis.call('HSET', ek, ext, ID)
end
redis.call('HSET', key('a', ID), 'extension', ext)
event('extension', { agent = ID, extension = ext })
return reply(200, { agent = ID, extension = ext })
