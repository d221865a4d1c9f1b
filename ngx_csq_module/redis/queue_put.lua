-- PUT tenants/<t>/queues/<id>: create or update a queue (admin)
-- body: { name, strategy, mode, max_length, queued_text,
--         out_of_hours_text,
--         schedule: { slots: [ { days: [1..7], from: "HH:MM", to: "HH:MM",
--                                agents: [ids] } ] } or null }

local b, err = put_prologue()
if err then return err end

local f
f, err = fields(b, {
    { 'name', 'string', 200 }, { 'strategy', 'enum', STRATEGIES },
    { 'mode', 'enum', { human = true, noagent = true, pickup = true } },
    { 'max_length', 'int', 0, 1000000 }, { 'queued_text', 'string', 2000 },
    { 'out_of_hours_text', 'string', 2000 } })
if err then return err end

-- the schedule is kept with minutes of the day, checked here once
local function minutes(hhmm)
    local h, m = string.match(type(hhmm) == 'string' and hhmm or '',
                              '^(%d%d):(%d%d)$')
    h, m = tonumber(h), tonumber(m)
    if h == nil or m >= 60 or h * 60 + m > 24 * 60 then return nil end
    return h * 60 + m
end

local schedule = nil
if b.schedule == cjson.null then
    schedule = ''
elseif b.schedule ~= nil then
    local sch = b.schedule
    if type(sch) ~= 'table' or type(sch.slots) ~= 'table' or #sch.slots > 200 then
        return bad('schedule', 'needs "slots", an array of at most 200')
    end
    local slots = {}
    for i, sl in ipairs(sch.slots) do
        local from, to = minutes(sl.from), minutes(sl.to)
        if type(sl.days) ~= 'table' or #sl.days == 0 or from == nil
           or to == nil or to <= from then
            return bad('schedule', 'slot ' .. i .. ' needs days 1-7 and "HH:MM" from < to')
        end
        for _, d in ipairs(sl.days) do
            if type(d) ~= 'number' or d < 1 or d > 7 or d ~= math.floor(d) then
                return bad('schedule', 'slot ' .. i .. ' has a day outside 1-7')
            end
        end
        if sl.agents ~= nil then
            if type(sl.agents) ~= 'table' then
                return bad('schedule', 'slot ' .. i .. ' agents must be an array')
            end
            for _, a in ipairs(sl.agents) do
                if not valid_id(a) then
                    return bad('schedule', 'slot ' .. i .. ' names an invalid agent id')
                end
            end
        end
        slots[#slots + 1] = { days = sl.days, from = from, to = to,
                              agents = sl.agents }
    end
    schedule = cjson.encode({ slots = slots })
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
hset_given(qk, f)

event(created and 'queue_created' or 'queue_updated', { queue = ID })

local q = hash(qk)
return reply(created and 201 or 200, {
    id = ID, name = q.name, strategy = q.strategy, mode = q.mode,
    max_length = tonumber(q.max_length), queued_text = q.queued_text,
    out_of_hours_text = q.out_of_hours_text or '',
    schedule = (q.schedule or '') ~= '' and cjson.decode(q.schedule) or cjson.null })
