-- ngx_csq_module: the robot, a part of the Redis function library.
--
-- Robot-first queues (mode "robot", R4.1) and no-agent queues answer a
-- customer's text by the tenant's keyword rules (R4.2): the first rule
-- that matches (exact: the whole message; contains: anywhere) sends its
-- replies, at most 5, in order; a reply may carry interaction links,
-- actions [{ label, send }], that send their text as the customer when
-- clicked.  In a robot-first queue a handoff keyword, matched against the
-- whole message only, moves the conversation to human routing.  Texts
-- (R4.3): the welcome (per weekly slot, or plain) on entry, the queued,
-- suspended and out-of-hours texts as routing gives them.

-- a message of the robot in the conversation's log
local function bot_say(cid, text, actions, t)
    local c = redis.call('HMGET', key('c', cid), 'agent')
    local name = redis.call('HGET', KEYS[1], 'name') or TENANT
    local m = { kind = 'text', text = text,
                from = { role = 'bot', name = name } }
    if actions and #actions > 0 then
        m.actions = actions
    end
    return log_append(cid, m, { c[1] or '' })
end

-- the welcome text of queue q now: the first weekly slot that is on, or
-- the plain one
local function welcome_text(q)
    if (q.welcome_slots or '') ~= '' then
        local weekday, minute = local_now()
        for _, slot in ipairs(cjson.decode(q.welcome_slots)) do
            if slot_on(slot, weekday, minute) then
                return slot.text
            end
        end
    end
    return q.welcome_text
end

local function say_welcome(cid, q, t)
    local text = welcome_text(q)
    if text and text ~= '' then
        bot_say(cid, text, nil, t)
    end
end

local function trim(s)
    return (string.gsub(s, '^%s*(.-)%s*$', '%1'))
end

local BOT_FALLBACK = 'Sorry, I did not understand that. Could you say it '
                     .. 'another way?'

-- the keyword rules answer a customer's text; true if one did
local function bot_answer(cid, text, t)
    local rules = cjson.decode(t.keywords or '[]')
    local msg = trim(text)
    for _, r in ipairs(rules) do
        local hit
        if r.match == 'exact' then
            hit = msg == r.keyword
        else
            hit = string.find(msg, r.keyword, 1, true) ~= nil
        end
        if hit then
            for i, reply in ipairs(r.replies) do
                if i > 5 then break end
                bot_say(cid, reply.text, reply.actions, t)
            end
            return true
        end
    end
    return false
end

-- a robot-first conversation's customer asks for a person: human routing
-- from here on, with the texts that routing gives
local function handoff(cid, c, q, t)
    local human = {}
    for k, v in pairs(q) do human[k] = v end
    human.mode = 'human'
    log_append(cid, { kind = 'system', event = 'handoff' }, {})
    local text = route_in_queue(cid, c, c.queue, human, t)
    if text and text ~= '' then
        bot_say(cid, text, nil, t)
    end
end

-- a customer's text in a conversation the robot serves (state "bot")
local function bot_turn(cid, c, text)
    local q = hash(key('q', c.queue or '')) or {}
    local t = hash(KEYS[1])
    if q.mode == 'robot' then
        local msg = trim(text)
        for _, k in ipairs(cjson.decode(q.handoff_keywords or '[]')) do
            if msg == k then
                handoff(cid, c, q, t)
                return
            end
        end
    end
    -- nothing matched (seed 004 Q: an answer for what it does not know):
    -- the queue's fallback_text (default BOT_FALLBACK; '' for silence),
    -- with the hand-off offered when a person can take over
    if not bot_answer(cid, text, t) then
        local fb = q.fallback_text
        if fb == nil then fb = BOT_FALLBACK end
        if fb ~= '' then
            local hk = cjson.decode(q.handoff_keywords or '[]')[1]
            bot_say(cid, fb, (q.mode == 'robot' and hk)
                             and { { label = 'Talk to an agent', send = hk } }
                             or nil, t)
        end
    end
end
