-- ngx_csq_module: entry links (channels) and their visitors, a part of
-- the Redis function library (R1.2, R8.1).
--
-- csq:{t}:link:<id>            name, queue, require_login, created,
--                              deleted (kept after a delete: its page says
--                              so), visits, customers
-- csq:{t}:links                the ids of live links (at most 10,000)
-- csq:{t}:link:<id>:visitors   unique visitors, ever
-- csq:{t}:link:<id>:day:<n>    unique visitors of day n (tenant's time),
--                              expiring after two days
-- csq:{t}:visitor:<id>         visits, first, last, last_channel, and
--                              l:<link> for each link it came through
-- csq:{t}:visitors             visitor ids by last visit
-- csq:{t}:visitors:ids         visitor ids in id order (score 0): a search
--                              by the start of an id reads only matches
-- csq:{t}:link:<id>:recent     its visitors by their last visit through it

local LINKS_MAX = 10000

local DELETED = 'this customer-service account has been deleted'

local function link_deleted()
    return fail(404, 'link_deleted', DELETED)
end

-- a live link, or nil and the 404 (deleted or unknown)
local function live_link(id)
    local l = hash(key('link', id))
    if l == nil then
        return nil, fail(404, 'not_found', 'no such link')
    end
    if l.deleted then
        return nil, link_deleted()
    end
    return l
end

local function today_number()
    local _, _, days = local_now()
    return days
end

local function link_view(id, l)
    local day = today_number()
    return {
        id = id, name = l.name, queue = l.queue or '',
        require_login = l.require_login == '1',
        created = num(l.created, 0),
        deleted = l.deleted and num(l.deleted, 0) or nil,
        visits = num(l.visits, 0),
        customers = num(l.customers, 0),
        visitors = redis.call('SCARD', key('link', id, 'visitors')),
        visitors_today = redis.call('SCARD', key('link', id, 'day',
                                                 tostring(day))) }
end

-- a visit of visitor vid, through link id ('' none)
local function record_visit(vid, id)
    local vk = key('visitor', vid)
    redis.call('HSETNX', vk, 'first', NOW)
    redis.call('HINCRBY', vk, 'visits', 1)
    redis.call('HSET', vk, 'id', vid, 'last', NOW, 'last_channel', id)
    redis.call('ZADD', key('visitors'), NOW, vid)
    redis.call('ZADD', key('visitors', 'ids'), 0, vid)
    if id ~= '' then
        redis.call('HSET', vk, 'l:' .. id, 1)       -- retention.lua
        redis.call('ZADD', key('link', id, 'recent'), NOW, vid)
        local dk = key('link', id, 'day', tostring(today_number()))
        redis.call('HINCRBY', key('link', id), 'visits', 1)
        redis.call('SADD', key('link', id, 'visitors'), vid)
        redis.call('SADD', dk, vid)
        redis.call('EXPIRE', dk, 2 * 86400)
    end
end

