-- ngx_csq_module: quick replies (R4.8, seed 004), a part of the Redis
-- function library.  The team's (edited by supervisors and admins) and
-- each agent's own, in categories and in an order of their own:
--   csq:{t}:qr:team, csq:{t}:a:<agent>:qr   zset: reply id -> position
--   csq:{t}:qr:team:r, csq:{t}:a:<agent>:qr:r  hash: reply id -> JSON
--                                              { id, category, title, text }
-- A text may hold {customer_name} and {agent_name}: the composer fills
-- them in.  At most QR.MAX[scope] replies.

-- the library's helpers of quick replies, in one table (the library is
-- one Lua chunk, and a chunk has at most 200 locals)
local QR = { MAX = { team = 500, mine = 200 } }

-- the keys of a scope ('team' or 'mine'): order, replies
function QR.keys(scope)
    if scope == 'team' then
        return key('qr', 'team'), key('qr', 'team', 'r')
    end
    return key('a', ACTOR, 'qr'), key('a', ACTOR, 'qr', 'r')
end

-- may the caller change the scope's replies?
function QR.may(scope)
    if scope == 'mine' then
        return ROLE ~= 'platform'           -- an agent's own: an agent's
    end
    return (ROLES[ROLE] or 0) >= ROLES.supervisor
end

-- the replies of a scope in their order, those that have every word of q
-- (in any case) in their title, text or category, at most n
function QR.list(scope, q, category, n)
    local ok, rk = QR.keys(scope)
    local has = words_matcher(q)
    return items_of(redis.call('ZRANGE', ok, 0, -1), rk, function(r)
        r.scope = scope
        return (category == nil or category == '' or r.category == category)
               and has(r.title .. ' ' .. r.text .. ' ' .. r.category)
    end, n)
end

-- a reply of body b checked: { category, title, text }, or nil and why
function QR.check(b)
    local f, err = fields(b, { { 'category', 'string', 64 },
                               { 'title', 'string', 100 },
                               { 'text', 'string', 2000 } })
    if err then return nil, err end
    if f.text == nil or f.text == '' then
        return nil, bad('text', 'is required')
    end
    return { category = f.category or '', title = f.title or '',
             text = f.text }
end

-- reply id of scope written (made at the end, or at position pos:
-- 1 first); false and the reply when the scope is full
function QR.put(scope, id, r, pos)
    local ok, rk = QR.keys(scope)
    local new = redis.call('HEXISTS', rk, id) == 0
    if new and redis.call('HLEN', rk) >= QR.MAX[scope] then
        return false, fail(409, 'too_many_replies', 'at most '
                           .. QR.MAX[scope] .. ' ' .. scope
                           .. ' quick replies')
    end
    r.id = id
    redis.call('HSET', rk, id, cjson.encode(r))
    if new and not pos then
        local top = redis.call('ZREVRANGE', ok, 0, 0, 'WITHSCORES')
        redis.call('ZADD', ok, (tonumber(top[2]) or 0) + 1, id)
    elseif pos then
        local ids = redis.call('ZRANGE', ok, 0, -1)
        local list = {}
        for _, x in ipairs(ids) do
            if x ~= id then list[#list + 1] = x end
        end
        table.insert(list, math.max(1, math.min(pos or #list + 1,
                                                #list + 1)), id)
        for i, x in ipairs(list) do
            redis.call('ZADD', ok, i, x)
        end
    end
    return true
end
