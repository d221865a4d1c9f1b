-- flags: none
-- PUT tenants/<t>/keywords: the robot's keyword rules (admin, R4.2)
-- body: { rules: [ { match: "exact" | "contains", keyword,
--                    replies: [ { text, actions: [ { label, send } ] } ] } ] }
-- At most 500 rules; each 1 to 5 replies of up to 2000 bytes, each with at
-- most 5 interaction links.  The first rule that matches answers.

local b, err = body_prologue()
if err then return err end
local rules = b.rules
if type(rules) ~= 'table' or #rules > 500 then
    return bad('rules', 'must be an array of at most 500 rules')
end

local kept = {}
for i, r in ipairs(rules) do
    local where = 'rule ' .. i .. ' '
    if type(r) ~= 'table' then
        return bad('rules', where .. 'must be an object')
    end
    if r.match ~= 'exact' and r.match ~= 'contains' then
        return bad('rules', where .. 'needs "match": exact or contains')
    end
    if type(r.keyword) ~= 'string' or #r.keyword == 0 or #r.keyword > 200 then
        return bad('rules', where .. 'needs a "keyword" of 1 to 200 bytes')
    end
    if type(r.replies) ~= 'table' or #r.replies == 0 or #r.replies > 5 then
        return bad('rules', where .. 'needs 1 to 5 "replies"')
    end
    local replies = {}
    for j, rep in ipairs(r.replies) do
        if type(rep) ~= 'table' or type(rep.text) ~= 'string'
           or #rep.text == 0 or #rep.text > 2000 then
            return bad('rules', where .. 'reply ' .. j
                                .. ' needs a "text" of 1 to 2000 bytes')
        end
        local actions = {}
        if rep.actions ~= nil then
            if type(rep.actions) ~= 'table' or #rep.actions > 5 then
                return bad('rules', where .. 'reply ' .. j
                                    .. ' may have at most 5 actions')
            end
            for _, a in ipairs(rep.actions) do
                if type(a) ~= 'table' or type(a.label) ~= 'string'
                   or type(a.send) ~= 'string' or #a.label == 0
                   or #a.label > 100 or #a.send == 0 or #a.send > 500 then
                    return bad('rules', where .. 'reply ' .. j .. ' actions '
                               .. 'need a "label" (1-100) and "send" (1-500)')
                end
                actions[#actions + 1] = { label = a.label, send = a.send }
            end
        end
        replies[j] = { text = rep.text }
        if #actions > 0 then replies[j].actions = actions end
    end
    kept[i] = { match = r.match, keyword = r.keyword, replies = replies }
end

redis.call('HSET', KEYS[1], 'keywords', cjson.encode(kept))
event('keywords_updated', { count = #kept })

return reply(200, { rules = arr(kept) })
