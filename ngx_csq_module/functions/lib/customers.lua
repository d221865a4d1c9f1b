-- ngx_csq_module: the customer library (R6.1-R6.3), a part of the Redis
-- function library: who a contact is, who may see and change a customer,
-- the library's indexes and the view every customer call answers with.
--
-- A customer is reached under a contact id: the `customer` of an arrival
-- (a visitor's id, the site's signed id, later a channel's or a phone's).
-- The record lives under the first contact id it was made for; others
-- reach it through the identity map:
--   csq:{t}:cust:<id>          the record (hash; tags and fields are JSON)
--   csq:{t}:cust:<id>:convs    its conversations by arrival time (zset)
--   csq:{t}:cust:<id>:notes    its notes (zset by time, JSON members)
--   csq:{t}:cust:<id>:served   agents that served it (set: who may see it)
--   csq:{t}:ident              i:<contact> -> id (a merged or matched
--                              contact), p:<phone> and e:<email> -> id
--   csq:{t}:lib                library customers by their library number
--   csq:{t}:lib:owner:<agent>  the same, one agent's ("mine")
--   csq:{t}:lib:pool           the same, no owner (the public pool)
--   csq:{t}:lib:tag:<tag>      the same, one tag's
--   csq:{t}:blacklist          blacklisted customers by when
-- The library number (the tenant's libseq) orders the views newest first
-- and is their paging cursor: unique, unlike a time.

-- the library's helpers, in one table (the library's chunk is at its 200
-- locals: lib/ORDER)
local CUST = {}

local CUST_TAGS_MAX = 20
local BLACKLIST_TEXT = 'Sorry, we cannot take your conversation.'
local CUST_NOTES_MAX = 1000

-- the record a contact id stands for (itself unless matched or merged)
function CUST.id(contact)
    return redis.call('HGET', key('ident'), 'i:' .. contact) or contact
end

-- the record of id, with its id, or nil
function CUST.get(id)
    return record(key('cust', id), id)
end

-- may the caller read (and work on) customer c?  Supervisors and admins
-- see all; an agent the customers nobody owns (the public pool, contacts
-- not in the library), its own, and every customer it has served (R9.1)
function CUST.visible(c)
    local r = ROLES[ROLE] or 0
    if r >= ROLES.supervisor then
        return true
    end
    if r < ROLES.agent then
        return false
    end
    if (c.owner or '') == '' or c.owner == ACTOR then
        return true
    end
    return redis.call('SISMEMBER', key('cust', c.id, 'served'), ACTOR) == 1
end

function CUST.hidden()
    return fail(403, 'forbidden', 'this customer is another agent\'s')
end

-- the library's indexes of customer c as it is now (after a change):
-- the views it belongs to, by its library number; old: its record before
function CUST.index(c, old)
    local id, n = c.id, tonumber(c.libseq)
    local was = old and old.library == '1'
    local otags = was and cjson.decode(old.tags or '[]') or {}
    for _, tg in ipairs(otags) do
        redis.call('ZREM', key('lib', 'tag', tg), id)
    end
    if was then
        redis.call('ZREM', key('lib', 'owner', old.owner or ''), id)
        redis.call('ZREM', key('lib', 'pool'), id)
        redis.call('ZREM', key('lib'), id)
    end
    if c.library ~= '1' then
        return
    end
    redis.call('ZADD', key('lib'), n, id)
    if (c.owner or '') == '' then
        redis.call('ZADD', key('lib', 'pool'), n, id)
    else
        redis.call('ZADD', key('lib', 'owner', c.owner), n, id)
    end
    for _, tg in ipairs(cjson.decode(c.tags or '[]')) do
        redis.call('ZADD', key('lib', 'tag', tg), n, id)
    end
end

-- nil when phone and email (either may be nil) are nobody's but record
-- id's, else the other customer's id
function CUST.claim_free(id, phone, email)
    local ik = key('ident')
    for _, k in ipairs({ phone and ('p:' .. phone) or false,
                         email and ('e:' .. email) or false }) do
        local o = k and redis.call('HGET', ik, k)
        if o and o ~= id and redis.call('EXISTS', key('cust', o)) == 1 then
            return false, o
        end
    end
    return true
end

-- lets phone and email of a record go from the identity map
function CUST.unclaim(c)
    local ik = key('ident')
    for _, k in ipairs({ c.phone and c.phone ~= '' and ('p:' .. c.phone),
                         c.email and c.email ~= '' and ('e:' .. c.email) }) do
        if redis.call('HGET', ik, k) == c.id then
            redis.call('HDEL', ik, k)
        end
    end
end

-- the tenant's business fields: { name = { name, label, type, options } }
-- and their order
function CUST.field_defs(t)
    local list = cjson.decode((t or hash(KEYS[1])).customer_fields or '[]')
    local by = {}
    for _, d in ipairs(list) do by[d.name] = d end
    return by, list
end

-- is `owner` (from a body) null, absent or an agent of the tenant?
local function owner_ok(owner)
    return owner == nil or owner == cjson.null or owner == ''
           or (valid_id(owner)
               and redis.call('SISMEMBER', key('agents'), owner) == 1)
end

-- a tag: 1-64 bytes, no control characters
function CUST.tag_ok(s)
    return type(s) == 'string' and #s >= 1 and #s <= 64
           and not string.find(s, '%c')
end

-- what every customer call answers with
function CUST.view(c, full)
    local v = {
        id = c.id, name = c.name or '', avatar = c.avatar or '',
        phone = c.phone or '', email = c.email or '',
        company = c.company or '', remark = c.remark or '',
        tags = arr(cjson.decode(c.tags or '[]')),
        fields = cjson.decode(c.fields or '{}'),
        owner = (c.owner or '') ~= '' and c.owner or cjson.null,
        private = c.private == '1', library = c.library == '1',
        added = tonumber(c.added) or 0, blacklisted = c.blacklisted == '1',
        created = tonumber(c.created) or 0,
        last_seen = tonumber(c.last_seen) or 0,
        last_channel = c.last_channel or '',
        last_agent = (c.last_agent or '') ~= '' and c.last_agent
                     or cjson.null,
        aliases = arr(cjson.decode(c.aliases or '[]')),
    }
    if c.blacklisted == '1' then
        v.blacklist_reason = c.blacklist_reason or ''
    end
    if full then
        v.conversations = redis.call('ZCARD', key('cust', c.id, 'convs'))
        local fav = ACTOR ~= '' and redis.call('HGET', key('a', ACTOR, 'fav'),
                                               c.id)
        v.favorite = fav and { group = fav } or cjson.null
        local notes = {}
        for i, n in ipairs(redis.call('ZREVRANGE', key('cust', c.id, 'notes'),
                                      0, 19)) do
            notes[i] = cjson.decode(n)
        end
        v.notes = arr(notes)
    end
    return v
end

-- the changes body b asks of customer c (its record, or { id } for a new
-- one), checked against the caller's rights and the tenant's fields:
-- strings '' (or null) clear.  Returns the changes, or nil and the reply.
function CUST.check(b, c, defs)
    local ch = {}
    for _, f in ipairs({ { 'name', 200 }, { 'company', 200 },
                         { 'remark', 2000 }, { 'avatar', 2000 } }) do
        local v = b[f[1]]
        if v == cjson.null then v = '' end
        if v ~= nil then
            if type(v) ~= 'string' or #v > f[2] then
                return nil, bad(f[1], 'must be a string of at most '
                                      .. f[2] .. ' bytes')
            end
            ch[f[1]] = v
        end
    end
    if ch.avatar and ch.avatar ~= ''
       and not string.match(ch.avatar, '^https?://[^%s]+$') then
        return nil, bad('avatar', 'must be an http(s) URL')
    end
    for _, f in ipairs({ { 'phone', norm_phone, 'a phone number' },
                         { 'email', norm_email, 'an email address' } }) do
        local v = b[f[1]]
        if v == cjson.null or v == '' then
            ch[f[1]] = ''
        elseif v ~= nil then
            ch[f[1]] = f[2](v)
            if ch[f[1]] == nil then
                return nil, bad(f[1], 'must be ' .. f[3])
            end
        end
    end
    if b.tags ~= nil then
        if type(b.tags) ~= 'table' or #b.tags > CUST_TAGS_MAX then
            return nil, bad('tags', 'must be an array of at most '
                                    .. CUST_TAGS_MAX .. ' tags')
        end
        local seen, list = {}, {}
        for _, tg in ipairs(b.tags) do
            if not CUST.tag_ok(tg) then
                return nil, bad('tags', 'must hold tags of 1-64 bytes')
            end
            if not seen[tg] then
                seen[tg] = true
                list[#list + 1] = tg
            end
        end
        ch.tags = list
    end
    if b.fields ~= nil then
        local err
        ch.fields, err = field_values(b.fields, cjson.decode(c.fields or '{}'),
                                      defs, 'fields', 'this tenant')
        if err then return nil, err end
    end
    local sup = (ROLES[ROLE] or 0) >= ROLES.supervisor
    local owner = b.owner
    if owner == cjson.null then owner = '' end
    if owner ~= nil then
        if not owner_ok(owner) then
            return nil, bad('owner', 'must name an existing agent or be null')
        end
        local cur = c.owner or ''
        -- an agent takes a customer of the pool, or lets its own go
        if not sup and owner ~= cur
           and not (cur == '' and owner == ACTOR)
           and not (cur == ACTOR and owner == '') then
            return nil, fail(403, 'forbidden', 'an agent may only take a '
                             .. 'customer nobody owns or let its own go')
        end
        ch.owner = owner
    end
    for _, f in ipairs({ 'private', 'library' }) do
        local v = b[f]
        if v ~= nil then
            if type(v) ~= 'boolean' then
                return nil, bad(f, 'must be true or false')
            end
            if not sup and (f == 'private' or v == false)
               and (v and '1' or '0') ~= (c[f] or '0') then
                return nil, fail(403, 'forbidden', '"' .. f .. '": '
                                 .. (v and 'true' or 'false')
                                 .. ' is for supervisors')
            end
            ch[f] = v and '1' or '0'
        end
    end
    -- a phone or an email is one customer's (R6.1)
    local _, other = CUST.claim_free(c.id, ch.phone ~= '' and ch.phone,
                                     ch.email ~= '' and ch.email)
    if other then
        local r = fail(409, 'duplicate', 'customer ' .. other .. ' has this '
                       .. 'phone or email: merge the two instead')
        return nil, r
    end
    return ch
end

-- customer id after changes ch (CUST.check()), made when new (old nil):
-- the record, its identities and its place in the library's views.
-- Returns the record as it is now.
function CUST.write(id, old, ch)
    local ck, ik = key('cust', id), key('ident')
    local c = old or { id = id, created = tostring(NOW) }
    local prev = old and { id = id, library = old.library, owner = old.owner,
                           tags = old.tags }
    local joins = ch.library == '1' and (old == nil or old.library ~= '1')
    if old == nil then
        redis.call('HSET', ck, 'id', id, 'created', NOW)
        redis.call('ZADD', key('customers'), NOW, id)   -- retention.lua
    end
    for _, f in ipairs({ 'phone', 'email' }) do
        local v = ch[f]
        local p = f == 'phone' and 'p:' or 'e:'
        if v and v ~= (c[f] or '') then
            if (c[f] or '') ~= ''
               and redis.call('HGET', ik, p .. c[f]) == id then
                redis.call('HDEL', ik, p .. c[f])
            end
            if v ~= '' then
                redis.call('HSET', ik, p .. v, id)
            end
        elseif v and v ~= '' and redis.call('HGET', ik, p .. v) ~= id then
            -- given again by the staff (CUST.check() found it nobody
            -- else's): vouched for now, matched from now on
            redis.call('HSET', ik, p .. v, id)
        end
    end
    local set = {}
    for f, v in pairs(ch) do
        if f == 'tags' or f == 'fields' then
            v = cjson.encode(v)
        end
        set[#set + 1] = f
        set[#set + 1] = v
        c[f] = v
    end
    if joins then
        c.libseq = tostring(redis.call('HINCRBY', KEYS[1], 'libseq', 1))
        c.added, c.added_by = tostring(NOW), ACTOR
        for _, f in ipairs({ 'libseq', 'added', 'added_by' }) do
            set[#set + 1] = f
            set[#set + 1] = c[f]
        end
    end
    if #set > 0 then
        redis.call('HSET', ck, unpack(set))
    end
    CUST.index(c, prev)
    if old == nil or ch.name or ch.phone or ch.email or ch.company
       or ch.fields then
        sx_customer(c)                                  -- search.lua
    end
    -- nothing keeps it (any more): retention.lua may take it in time
    if (c.owner or '') == '' and c.private ~= '1' and c.library ~= '1'
       and c.blacklisted ~= '1' then
        redis.call('ZADD', key('customers'), 'NX',
                   tonumber(c.last_seen) or NOW, id)
    end
    return c
end

-- customer c goes, with what hangs on it (its conversations stay)
function CUST.drop(c)
    local ck, ik = key('cust', c.id), key('ident')
    CUST.unclaim(c)
    for _, x in ipairs(cjson.decode(c.aliases or '[]')) do
        if redis.call('HGET', ik, 'i:' .. x) == c.id then
            redis.call('HDEL', ik, 'i:' .. x)
        end
    end
    for _, ag in ipairs(redis.call('SMEMBERS', ck .. ':fans')) do
        redis.call('HDEL', key('a', ag, 'fav'), c.id)
    end
    c.library = '0'
    CUST.index(c, CUST.get(c.id))
    redis.call('ZREM', key('blacklist'), c.id)
    redis.call('HDEL', key('sx', 'u', 'cur'), c.id)     -- search.lua
    redis.call('UNLINK', ck, ck .. ':convs', ck .. ':notes', ck .. ':served',
               ck .. ':fans', ck .. ':trail', ck .. ':tickets', ck .. ':calls',
               ck .. ':sms')
end
