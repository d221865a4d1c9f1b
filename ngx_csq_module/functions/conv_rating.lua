-- flags: none
-- POST tenants/<t>/conversations/<id>/rating: { score (1-5), comment
-- (at most 1,000 bytes) }: the customer rates its conversation once it
-- has ended (CSAT, R8.5), once, within 7 days (409 already_rated,
-- too_late; a conversation going on: 409 conflict).  Its agent's and
-- queue's figures count it.  -> { conversation, score, comment }

local b, err = body_prologue()
if err then return err end
local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end
if not customer_owns(ID, c) then
    return fail(403, 'forbidden', 'not your conversation')
end
local score = b.score
if type(score) ~= 'number' or score % 1 ~= 0 or score < 1 or score > 5 then
    return bad('score', 'must be a whole number from 1 to 5')
end
local comment, e = opt_string(b, 'comment', 1000)
if e then return bad('comment', e) end
if c.state ~= 'ended' then
    return fail(409, 'conflict', 'a conversation is rated once it has ended')
end
if c.rating then
    return fail(409, 'already_rated', 'this conversation has been rated')
end
if NOW - num(c.ended, NOW) > 7 * 86400000 then
    return fail(409, 'too_late', 'a conversation is rated within 7 days')
end

redis.call('HSET', key('c', ID), 'rating', score,
           'rating_comment', comment or '', 'rated_at', NOW)
local served = conv_agents(c)
local last = served[#served]
if last then
    count_day(last, 'rating_sum', score)
    count_day(last, 'rating_n', 1)
end
if (c.queue or '') ~= '' then
    count_day(c.queue, 'rating_sum', score, 'q')
    count_day(c.queue, 'rating_n', 1, 'q')
end
event('rated', { conversation = ID, agent = last or '', score = score })
return reply(200, { conversation = ID, score = score,
                    comment = comment or '' })
