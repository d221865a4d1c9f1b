-- flags: none
-- PUT tenants/<t>/queues/<id>: create or update a queue (admin)
-- body: { name, strategy, mode (human, pickup, noagent, robot),
--         max_length, queued_text, out_of_hours_text, welcome_text,
--         sticky_wait (a returning customer waits for its full agent),
--         welcome_slots: [ { days, from, to, text } ] or null,
--         handoff_keywords: [ ... ] (robot),
--         schedule: { slots: [ { days: [1..7], from: "HH:MM", to: "HH:MM",
--                                agents: [ids] } ] } or null }

local b, err = put_prologue()
if err then return err end

local f
f, err = fields(b, {
    { 'name', 'string', 200 }, { 'strategy', 'enum', STRATEGIES },
    { 'mode', 'enum', { human = true, noagent = true, pickup = true,
                        robot = true } },
    { 'max_length', 'int', 0, 1000000 }, { 'queued_text', 'string', 2000 },
    { 'sl_seconds', 'int', 1, 86400 }, { 'fallback_text', 'string', 2000 },
    { 'out_of_hours_text', 'string', 2000 },
    { 'welcome_text', 'string', 2000 }, { 'sticky_wait', 'bool' } })
if err then return err end

-- the schedule is kept with minutes of the day, checked here once
local schedule = nil
if b.schedule == cjson.null then
    schedule = ''
elseif b.schedule ~= nil then
    if type(b.schedule) ~= 'table' then
        return bad('schedule', 'needs "slots", an array of at most 200')
    end
    local slots
    slots, err = parse_slots(b.schedule.slots, 'schedule', function(sl, i)
        if sl.agents == nil then return { agents = nil } end
        if type(sl.agents) ~= 'table' then
            return nil, 'slot ' .. i .. ' agents must be an array'
        end
        for _, a in ipairs(sl.agents) do
            if not valid_id(a) then
                return nil, 'slot ' .. i .. ' names an invalid agent id'
            end
        end
        return { agents = sl.agents }
    end)
    if err then return err end
    if #slots == 0 then
        -- no slot would keep the queue out of hours for good
        return bad('schedule', 'needs at least one slot (null removes it)')
    end
    schedule = cjson.encode({ slots = slots })
end

-- time-slot welcome texts (R4.3): [{ days, from, to, text }]
local welcome_slots = nil
if b.welcome_slots == cjson.null then
    welcome_slots = ''
elseif b.welcome_slots ~= nil then
    local slots
    slots, err = parse_slots(b.welcome_slots, 'welcome_slots', function(sl, i)
        if type(sl.text) ~= 'string' or #sl.text == 0 or #sl.text > 2000 then
            return nil, 'slot ' .. i .. ' needs a "text" of 1 to 2000 bytes'
        end
        return { text = sl.text }
    end)
    if err then return err end
    welcome_slots = cjson.encode(slots)
end

-- a robot-first queue hands off on these whole messages (R4.1)
local handoff = nil
if b.handoff_keywords ~= nil then
    if type(b.handoff_keywords) ~= 'table' or #b.handoff_keywords > 50 then
        return bad('handoff_keywords', 'must be an array of at most 50')
    end
    for _, k in ipairs(b.handoff_keywords) do
        if type(k) ~= 'string' or #k == 0 or #k > 200 then
            return bad('handoff_keywords', 'must hold strings of 1 to 200 bytes')
        end
    end
    handoff = cjson.encode(b.handoff_keywords)
end

local qk = key('q', ID)
local created = redis.call('EXISTS', qk) == 0

if created then
    redis.call('HSET', qk, 'id', ID, 'name', ID, 'strategy', 'round-robin',
               'mode', 'human', 'max_length', 0, 'queued_text', '',
               'handled', 0, 'handle_ms', 0)
    redis.call('SADD', key('queues'), ID)
end

f.schedule = schedule
f.welcome_slots = welcome_slots
f.handoff_keywords = handoff
hset_given(qk, f)

event(created and 'queue_created' or 'queue_updated', { queue = ID })

-- a strategy or a schedule of its own: the index made anew
local q = hash(qk)
sync_duty(ID, q, true)
return reply(created and 201 or 200, {
    id = ID, name = q.name, strategy = q.strategy, mode = q.mode,
    max_length = tonumber(q.max_length), queued_text = q.queued_text,
    sl_seconds = tonumber(q.sl_seconds or 20),
    fallback_text = q.fallback_text or cjson.null,
    out_of_hours_text = q.out_of_hours_text or '',
    schedule = (q.schedule or '') ~= '' and cjson.decode(q.schedule) or cjson.null,
    welcome_text = q.welcome_text or '',
    sticky_wait = q.sticky_wait == '1',
    welcome_slots = (q.welcome_slots or '') ~= ''
                    and arr(cjson.decode(q.welcome_slots)) or cjson.null,
    handoff_keywords = arr(cjson.decode(q.handoff_keywords or '[]')) })
