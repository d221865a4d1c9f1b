-- ngx_csq_module: arrivals, a part of the Redis function library.
--
-- A customer arrives (R3.2, R3.3, R3.6): through the chat page, the
-- widget or the tenant's own systems (arrive.lua), or writing through
-- another channel (channel_inbound.lua, R1.4).  ARR.run checks the body,
-- finds or makes the customer's record (R6.1), makes the conversation and
-- routes it: to its owner, its last agent, or its queue's way.
-- body: { customer, channel, queue, priority, language, product, name,
--         phone, email, link, attributes: {...} }
-- o: { verified (R1.5), limit and addr (R9.6: arrivals an address makes a
--      minute), ob and ob_user (the channel and its user id, for a
--      channel's customer: no page socket, replies through the outbox) }
-- Returns the reply: the conversation (r[3] "<customer>/<conversation>").

-- the library's chunk is at its 200 locals (lib/ORDER): one table
local ARR = {}

ARR.OFFLINE_TEXT = 'We are away right now. Your message is kept for us and '
                   .. 'we will answer as soon as we are back.'

function ARR.run(b, o)
    if not valid_id(b.customer) then
        return bad('customer', 'must be 1-64 of A-Z a-z 0-9 _ - .')
    end
    local f, err = fields(b, {
        { 'channel', 'string', 64 }, { 'language', 'string', 64 },
        { 'product', 'string', 200 }, { 'priority', 'int', 0, 9 },
        { 'name', 'string', 200 } })
    if err then return err end
    local phone, email = norm_phone(b.phone), norm_email(b.email)
    if b.phone ~= nil and phone == nil then
        return bad('phone', 'must be a phone number')
    end
    if b.email ~= nil and email == nil then
        return bad('email', 'must be an email address')
    end

    local channel = f.channel or 'web'
    local language, product, prio = f.language, f.product, f.priority

    local qid = b.queue
    if qid ~= nil and not valid_id(qid) then
        return bad('queue', 'must be a queue id')
    end

    -- through an entry link (R1.2): its queue and its login rule (R1.5)
    local link = nil
    if b.link ~= nil then
        if not valid_id(b.link) then
            return bad('link', 'must be a link id')
        end
        local err
        link, err = live_link(b.link)
        if err then return err end
        if qid == nil and (link.queue or '') ~= '' then qid = link.queue end
        channel = b.link
    end
    local attrs = b.attributes
    if attrs ~= nil and type(attrs) ~= 'table' then
        return bad('attributes', 'must be an object')
    end

    local t = hash(KEYS[1])
    if not origin_ok(t) then return origin_refused() end
    local verified, limit, addr = o.verified, o.limit, o.addr

    -- R1.5: a tenant that requires login serves only customers its site
    -- signed in (nginx checked customer_hash and says 'verified')
    if (t.require_login == '1' or (link and link.require_login == '1'))
       and not verified then
        return fail(401, 'login_required',
                    'sign the customer in: "customer_hash" is required')
    end

    -- who the customer is (R6.1): the record its id stands for; else, when
    -- the tenant vouches for the details (a signed customer, a staff or
    -- platform token), the customer with that phone, or that email; else a
    -- new record under its id.  What an anonymous visitor says of itself is
    -- kept on its record but never matched: it could claim anyone's phone.
    local trusted = verified or (ROLES[ROLE] or 0) >= ROLES.agent
    local rid = CUST.id(b.customer)
    local cust, matched = CUST.get(rid), false
    if cust == nil and trusted and (phone or email) then
        local ik = key('ident')
        local m = (phone and redis.call('HGET', ik, 'p:' .. phone))
                  or (email and redis.call('HGET', ik, 'e:' .. email))
        cust = m and CUST.get(m)
        if cust then rid, matched = m, true end
    end
    cust = cust or {}

    -- a blacklisted customer is refused, nothing kept (seed 000 §3)
    if cust.blacklisted == '1' then
        return fail(403, 'blacklisted', (t.blacklist_text or '') ~= ''
                    and t.blacklist_text or BLACKLIST_TEXT)
    end

    qid = arrival_queue(t, qid, { channel = channel, language = language,
                                  product = product }, attrs)

    if qid == nil or qid == '' then
        return bad('queue', 'is required: no rule matched and there is no '
                            .. 'fallback queue')
    end

    local q = hash(key('q', qid))
    if q == nil then
        return fail(404, 'not_found', 'no such queue: ' .. qid)
    end

    -- the agent this customer is bound to (private contact, R3.3/R2.4)
    -- (a no-agent queue never assigns, not even to an owner)
    local bound = nil
    if q.mode ~= 'noagent' and q.mode ~= 'robot' and cust.private == '1'
       and cust.owner and cust.owner ~= '' then
        bound = agent(cust.owner)
    end

    if bound == nil and q.mode ~= 'noagent' and q.mode ~= 'robot'
       and num(q.max_length, 0) > 0
       and redis.call('ZCARD', key('q', qid, 'wait'))
           >= num(q.max_length, 0) then
        return fail(503, 'queue_full', 'the queue is full, try again later')
    end

    -- R9.6: an address makes at most csq_arrival_limit a minute
    local full = address_full('arrive', limit, addr)
    if full then return full end

    -- everything is checked: from here on the conversation exists

    address_count('arrive', limit, addr)

    local cid = 'c' .. redis.call('HINCRBY', KEYS[1], 'seq', 1)
    local c = { customer = b.customer, channel = channel, queue = qid,
                priority = prio or 0, created = NOW, state = 'new' }

    redis.call('HSET', key('c', cid), 'id', cid, 'customer', c.customer,
               'channel', c.channel, 'queue', qid, 'priority', c.priority,
               'created', NOW, 'state', 'new',
               'verified', verified and '1' or '0',
               'attributes', cjson.encode(attrs or {}))
    if o.ob then
        -- a channel's customer (channels.lua): its replies go out through
        -- the outbox (outbox.lua)
        redis.call('HSET', key('c', cid), 'ob', o.ob, 'ob_user', o.ob_user)
    end
    if matched then
        redis.call('HSET', key('ident'), 'i:' .. b.customer, rid)
        local al = cjson.decode(cust.aliases or '[]')
        al[#al + 1] = b.customer
        redis.call('HSET', key('cust', rid), 'aliases', cjson.encode(al))
    end
    local ck = key('cust', rid)
    redis.call('HSETNX', ck, 'created', NOW)
    redis.call('HSET', ck, 'id', rid, 'last_seen', NOW,
               'last_channel', c.channel)
    local filled = false
    for k, v in pairs({ name = f.name, phone = phone, email = email }) do
        if (cust[k] or '') == '' then
            filled = true
            redis.call('HSET', ck, k, v)
            if k ~= 'name' and trusted then
                if CUST.claim_free(rid, k == 'phone' and v, k == 'email' and v)
                then
                    redis.call('HSET', key('ident'),
                               (k == 'phone' and 'p:' or 'e:') .. v, rid)
                end
            end
        end
    end
    if filled then
        sx_customer(CUST.get(rid))                          -- search.lua
    end
    redis.call('ZADD', key('customers'), NOW, rid)          -- retention.lua
    redis.call('ZADD', key('cust', rid, 'convs'), NOW, cid)
    redis.call('ZADD', key('convs'), NOW, cid)              -- records.lua
    count_day(qid, 'arrived', 1, 'q')                       -- R8.2
    review_index(cid, c, 'q', qid)
    redis.call('ZADD', key('activity'), NOW, cid)
    event('arrived', { conversation = cid, customer = b.customer,
                       queue = qid })

    -- an anonymous arrival (the chat page, the widget) comes for a socket:
    -- with none within the tenant's connect_grace_seconds (60) the tick lets
    -- it go (abandoned while it waits, ended while served), so that arrivals
    -- alone hold no agent and no place for good (R9.6); the arrivals of the
    -- tenant's own systems (with an agent's or a platform token) are kept
    if (ROLES[ROLE] or 0) < ROLES.agent and not o.ob then
        redis.call('ZADD', key('presence'),
                   NOW + num(t.connect_grace_seconds, 60) * 1000, 'c:' .. cid)
    end
    if link then
        redis.call('HINCRBY', key('link', b.link), 'customers', 1)
    end

    -- the welcome first (R4.3), then whatever routing says
    say_welcome(cid, q, t)

    local extra = {}

    local function done()
        if extra.auto_reply and extra.auto_reply ~= '' then
            bot_say(cid, extra.auto_reply, nil, t)
        end
        local v = conversation_view(cid, hash(key('c', cid)))
        for k, x in pairs(extra) do v[k] = x end
        local r = reply(201, v)
        r[3] = b.customer .. '/' .. cid     -- nginx adds a token for it
        return r
    end

    if bound then
        -- private contact: only its owner, even suspended; waits if offline
        c.bound = bound.id
        redis.call('HSET', key('c', cid), 'bound', bound.id)
        if has_room(bound) then
            assign(cid, c, bound, 'private')
            if bound.status == 'suspended' then
                extra.auto_reply = t.suspended_text
            end
        else
            -- R2.4: an offline owner finds it waiting when back (pull());
            -- the customer hears that it is away
            enqueue(cid, c, key('a', bound.id, 'wait'))
            extra.auto_reply = bound.status == 'offline'
                               and ((t.offline_text or '') ~= ''
                                    and t.offline_text or ARR.OFFLINE_TEXT)
                               or q.queued_text
        end
        return done()
    end

    -- no agent, pick-up: no affinity, the queue's own way
    if q.mode == 'noagent' or q.mode == 'pickup' or q.mode == 'robot' then
        extra.auto_reply = route_in_queue(cid, c, qid, q, t)
        return done()
    end

    -- owner first (R3.3)
    if cust.owner and cust.owner ~= '' then
        local o = agent(cust.owner)
        if o and available(o) then
            assign(cid, c, o, 'owner')
            return done()
        end
    end

    -- a returning customer goes back to the last agent if on duty in the
    -- queue's slot now (R3.3): this also gives a suspended agent its recent
    -- contacts.  With the queue's sticky_wait (seed 004 Q1), one that is on
    -- duty but full is waited for, its customers first, as a private contact
    local window = num(t.return_hours, 48) * 3600000
    if cust.last_agent and cust.last_agent ~= ''
       and NOW - num(cust.last_time, 0) <= window then
        sync_duty(qid, q)
        local l = agent(cust.last_agent)
        if l and on_duty(qid, q, l.id) and has_room(l) then
            assign(cid, c, l, 'returning')
            if l.status == 'suspended' then
                extra.auto_reply = t.suspended_text
            end
            return done()
        end
        if l and on_duty(qid, q, l.id) and q.sticky_wait == '1'
           and l.status ~= 'offline' then
            c.bound = l.id
            redis.call('HSET', key('c', cid), 'bound', l.id)
            enqueue(cid, c, key('a', l.id, 'wait'))
            extra.auto_reply = q.queued_text
            return done()
        end
    end

    extra.auto_reply = route_in_queue(cid, c, qid, q, t)
    return done()
end
