-- flags: none
-- POST tenants/<t>/callbacks/<id>/done: the customer was called back
-- (R4.9, R7.5): { outcome (a note, 0-2,000 bytes) }; who and when are
-- kept.  By whoever may see the entry; once (409 already_done).
-- -> the entry

local b, err = put_prologue()
if err then return err end
local e = FU.callback(ID)
if e == nil or not FU.callback_visible(e) then
    return fail(404, 'not_found', 'no such callback')
end
local outcome, why = opt_string(b, 'outcome', 2000)
if why then return bad('outcome', why) end
if e.status ~= 'open' then
    return fail(409, 'already_done', 'called back already by '
                .. (e.done_by or '?'))
end
e.status, e.done_by, e.done, e.outcome = 'done', ACTOR, tostring(NOW),
                                         outcome or ''
redis.call('HSET', key('cb', ID), 'status', 'done', 'done_by', ACTOR,
           'done', NOW, 'outcome', e.outcome)
redis.call('ZREM', key('cb', 'open'), ID)
redis.call('ZADD', key('cb', 'done'), e.at, ID)
event('callback_done', { callback = ID, agent = ACTOR })
return reply(200, FU.callback_view(e))
