-- flags: no-writes
-- The availability index of every queue of the tenant (lib/route.lua)
-- against a recomputation from the agents, as the index's own rules
-- would make it under the queue's stored duty: an operator's check (and
-- the stress test's), called with redis-cli:
--   FCALL_RO csq_<version>_queue_index_check 1 csq:{<t>}:tenant <now> '' ''
-- Returns { 200, '{"queues":<n>,"problems":[...]}' }; no problem, no
-- difference.

local problems = {}
local qids = redis.call('SMEMBERS', key('queues'))
table.sort(qids)

local function differ(qid, what, want, have)
    problems[#problems + 1] = qid .. ': ' .. what .. ' should be '
                              .. tostring(want) .. ', is ' .. tostring(have)
end

local function zset(k)
    local flat, t = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'), {}
    for i = 1, #flat, 2 do t[flat[i]] = tonumber(flat[i + 1]) end
    return t
end

for _, qid in ipairs(qids) do
    local qk = key('q', qid)
    local q = hash(qk)
    local ix, sx = {}, {}
    local n = { active = 0, susp = 0, cap = 0 }
    local cls = {}
    for _, aid in ipairs(redis.call('ZRANGE', qk .. ':agents', 0, -1)) do
        local a = routing_fields(aid)
        if a then
            local c, cap = ix_class(qid, q, a)
            local m = ix_member(a)
            cls[aid] = c .. ':' .. cap .. ':' .. m
            local act, sus = ix_counts(c)
            n.active, n.susp, n.cap = n.active + act, n.susp + sus,
                                      n.cap + cap
            if c == 'a' then
                ix[m] = ix_score(qid, q, a)
            elseif c == 'r' then
                sx[m] = num(a.load, 0)
            end
        end
    end

    for what, want in pairs({ ix = ix, sx = sx }) do
        local have = zset(qk .. ':' .. what)
        for m, sc in pairs(want) do
            if have[m] ~= sc then differ(qid, what .. ' ' .. m, sc, have[m]) end
        end
        for m, sc in pairs(have) do
            if want[m] == nil then differ(qid, what .. ' ' .. m, nil, sc) end
        end
    end
    local have = hash(qk .. ':cls') or {}
    for aid, v in pairs(cls) do
        if have[aid] ~= v then differ(qid, 'class of ' .. aid, v, have[aid]) end
    end
    for aid, v in pairs(have) do
        if cls[aid] == nil then differ(qid, 'class of ' .. aid, nil, v) end
    end
    local hn = hash(qk .. ':n') or {}
    for f, v in pairs(n) do
        if num(hn[f], 0) ~= v then differ(qid, 'n.' .. f, v, hn[f]) end
    end
end

return reply(200, { queues = #qids, problems = arr(problems) })
