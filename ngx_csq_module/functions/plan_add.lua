-- flags: none
-- POST tenants/<t>/plans: a contact plan (R7.4, followup.lua),
-- { customer (a customer of the library the caller may see), start (ms,
-- default now), due (ms, >= start), assignee (an agent; default the
-- caller, another agent's is a supervisor's to give), note (0-2,000
-- bytes) }.  At most plans_per_agent_max open a assignee and plans_max
-- open in the tenant (409 too_many_plans).  -> 201, the plan

local b, err = body_prologue()
if err then return err end
local f
f, err = fields(b, { { 'customer', 'string', 64 },
                     { 'start', 'int', 0, 4102444800000 },
                     { 'due', 'int', 0, 4102444800000 },
                     { 'assignee', 'string', 64 },
                     { 'note', 'string', 2000 } })
if err then return err end
if f.customer == nil then return bad('customer', 'is required') end
if f.due == nil then return bad('due', 'is required') end
local start = f.start or math.min(NOW, f.due)
if f.due < start then return bad('due', 'must not be before start') end

local c = CUST.get(CUST.id(f.customer))
if c == nil or c.library ~= '1' then
    return fail(404, 'not_found', 'no such customer in the library')
end
if not CUST.visible(c) then return CUST.hidden() end

local aid = f.assignee or ACTOR
if redis.call('SISMEMBER', key('agents'), aid) == 0 then
    return bad('assignee', 'must name an agent of the tenant')
end
if aid ~= ACTOR and ROLES[ROLE] < ROLES.supervisor then
    return fail(403, 'forbidden', 'an agent makes plans for itself only')
end
local full = FU.plan_full(aid)
if full then return full end

local p = { id = 'p' .. redis.call('HINCRBY', KEYS[1], 'planseq', 1),
            customer = c.id, start = start, due = f.due, assignee = aid,
            note = f.note or '', status = 'open', created_by = ACTOR,
            created = NOW }
redis.call('HSET', key('plan', p.id), 'customer', p.customer,
           'start', p.start, 'due', p.due, 'assignee', aid, 'note', p.note,
           'status', 'open', 'created_by', ACTOR, 'created', NOW)
FU.plan_index(p)
event('plan', { plan = p.id, customer = c.id, agent = aid,
                change = 'created' })
if aid ~= ACTOR then
    FU.plan_told(p)
end
return reply(201, FU.plan_view(p))
