-- flags: none
-- POST tenants/<t>/conversations/<id>/mark: { pinned, hidden }: the
-- calling agent pins a conversation of its list (pinned first, at most
-- 100) or hides it from the list (R4.7, at most 1,000, the oldest let
-- go); GET tenants/<t>/marks gives them back.  -> { conversation,
-- pinned, hidden }

if ROLE == 'platform' then
    return fail(403, 'forbidden', 'pins and hidden conversations are an '
                .. 'agent\'s own')
end
local pk, hk = key('a', ACTOR, 'pins'), key('a', ACTOR, 'hidden')
-- one deleted since (retention) is let go of, never taken
local gone = body()
if gone and redis.call('EXISTS', key('c', ID)) == 0
   and gone.pinned ~= true and gone.hidden ~= true then
    redis.call('ZREM', pk, ID)
    redis.call('ZREM', hk, ID)
    return reply(200, { conversation = ID, pinned = false, hidden = false })
end
local b, c, err = readable_prologue()
if err then return err end
for _, f in ipairs({ 'pinned', 'hidden' }) do
    if b[f] ~= nil and type(b[f]) ~= 'boolean' then
        return bad(f, 'must be true or false')
    end
end

if b.pinned == true then
    if redis.call('ZSCORE', pk, ID) == false
       and redis.call('ZCARD', pk) >= 100 then
        return fail(409, 'too_many_pins', 'at most 100 pinned conversations')
    end
    redis.call('ZADD', pk, NOW, ID)
elseif b.pinned == false then
    redis.call('ZREM', pk, ID)
end
if b.hidden == true then
    redis.call('ZADD', hk, NOW, ID)
    redis.call('ZREMRANGEBYRANK', hk, 0, -1001)
elseif b.hidden == false then
    redis.call('ZREM', hk, ID)
end
return reply(200, { conversation = ID,
                    pinned = redis.call('ZSCORE', pk, ID) ~= false,
                    hidden = redis.call('ZSCORE', hk, ID) ~= false })
