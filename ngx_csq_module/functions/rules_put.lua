-- flags: none
-- PUT tenants/<t>/rules: routing rules and the fallback queue (admin, R3.2)
-- body: { rules: [ { match: { channel, language, product,
--                             "attributes.<name>" }, queue } ],
--         fallback_queue }

local b, err = body_prologue()
if err then return err end

local rules = b.rules or {}
if type(rules) ~= 'table' or #rules > 1000 then
    return bad('rules', 'must be an array of at most 1000 rules')
end

local FIELDS = { channel = true, language = true, product = true }

for i, r in ipairs(rules) do
    if type(r) ~= 'table' or type(r.match) ~= 'table' then
        return bad('rules', 'rule ' .. i .. ' needs a "match" object')
    end
    for f, v in pairs(r.match) do
        if not (FIELDS[f] or string.match(f, '^attributes%.[%w_%-]+$'))
           or type(v) ~= 'string' then
            return bad('rules', 'rule ' .. i .. ' matches an unknown field or a non-string: ' .. tostring(f))
        end
    end
    if not valid_id(r.queue) or redis.call('SISMEMBER', key('queues'), r.queue) == 0 then
        return bad('rules', 'rule ' .. i .. ' names no existing queue')
    end
end

local fb = b.fallback_queue
if fb ~= nil and fb ~= cjson.null
   and (not valid_id(fb) or redis.call('SISMEMBER', key('queues'), fb) == 0) then
    return bad('fallback_queue', 'must name an existing queue or be null')
end

redis.call('HSET', KEYS[1], 'rules', #rules > 0 and cjson.encode(rules) or '[]')
if fb == cjson.null then
    redis.call('HDEL', KEYS[1], 'fallback_queue')
elseif fb then
    redis.call('HSET', KEYS[1], 'fallback_queue', fb)
end

event('rules_updated', { count = #rules })

return reply(200, { rules = arr(rules),
                    fallback_queue = hash(KEYS[1]).fallback_queue or cjson.null })
