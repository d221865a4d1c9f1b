-- flags: none
-- PUT tenants/<t>/plans/<id>: changes of an open contact plan (R7.4),
-- by its assignee, its maker or a supervisor: { start, due (ms; a new
-- due time is reminded again), note, assignee (a supervisor's to change;
-- the new assignee's cap holds; reminded again), status ("done" or
-- "cancelled": closed for good) }.  A closed plan: 409 plan_closed.
-- -> the plan

local b, err = put_prologue()
if err then return err end
local p = FU.plan(ID)
if p == nil or not FU.plan_visible(p) then
    return fail(404, 'not_found', 'no such contact plan')
end
local f
f, err = fields(b, { { 'start', 'int', 0, 4102444800000 },
                     { 'due', 'int', 0, 4102444800000 },
                     { 'assignee', 'string', 64 },
                     { 'note', 'string', 2000 },
                     { 'status', 'enum', { open = true, done = true,
                                           cancelled = true } } })
if err then return err end
if p.status ~= 'open' then
    return fail(409, 'plan_closed', 'this contact plan is ' .. p.status
                .. ' already')
end
local start, due = f.start or tonumber(p.start), f.due or tonumber(p.due)
if due < start then return bad('due', 'must not be before start') end
local aid = f.assignee or p.assignee
if aid ~= p.assignee then
    if ROLES[ROLE] < ROLES.supervisor then
        return fail(403, 'forbidden', 'a supervisor gives a plan to another '
                    .. 'agent')
    end
    if redis.call('SISMEMBER', key('agents'), aid) == 0 then
        return bad('assignee', 'must name an agent of the tenant')
    end
    local full = FU.plan_full(aid, true)
    if full then return full end
end

local pk, was = key('plan', ID), p.assignee
FU.plan_unindex(p)
local set = { 'start', start, 'due', due, 'assignee', aid }
if f.note then
    set[#set + 1], set[#set + 2] = 'note', f.note
    p.note = f.note
end
if due ~= tonumber(p.due) or aid ~= was then
    -- due again at its new time, or to its new assignee
    redis.call('HDEL', pk, 'reminded')
    p.reminded = nil
end
p.start, p.due, p.assignee = tostring(start), tostring(due), aid
local change = 'updated'
if f.status == 'done' or f.status == 'cancelled' then
    change = f.status
    p.status, p.done_by, p.done = f.status, ACTOR, tostring(NOW)
    for _, x in ipairs({ 'status', f.status, 'done_by', ACTOR, 'done', NOW }) do
        set[#set + 1] = x
    end
    redis.call('ZADD', key('plans', 'done'), NOW, ID)    -- retention.lua
    redis.call('ZADD', key('plans', 'done', aid), NOW, ID)
else
    FU.plan_index(p)
end
redis.call('HSET', pk, unpack(set))
event('plan', { plan = ID, customer = p.customer, agent = aid,
                change = change })
if aid ~= ACTOR then
    FU.plan_told(p)
end
if was ~= aid and was ~= ACTOR then
    FU.plan_told(p, was)
end
return reply(200, FU.plan_view(p))
