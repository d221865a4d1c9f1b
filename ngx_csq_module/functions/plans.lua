-- flags: no-writes
-- GET tenants/<t>/plans?assignee=&filter=&after=&limit=: contact plans
-- (R7.4, followup.lua), "my contact plans" by default.  assignee: "me"
-- (default), an agent's id or "all" (a supervisor's); filter: open
-- (default) and due (open and due now) by due time, soonest first; done
-- (done or cancelled) by when, newest first.  limit: 50 (at most 200);
-- after: the `next` of the page before.
-- -> { plans: [...], due: the assignee's due plans (all: the tenant's),
--      next: cursor or null }

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local qs = query(ARGV[5])
local sup = (ROLES[ROLE] or 0) >= ROLES.supervisor
local who = qs.assignee or ''
if who == '' or who == 'me' then
    who = ACTOR ~= '' and ACTOR or 'all'
end
if who ~= ACTOR and not sup then
    return fail(403, 'forbidden', 'an agent lists its own contact plans')
end
if who ~= 'all' and not valid_id(who) then
    return bad('assignee', 'must be me, all or an agent\'s id')
end
local filter = qs.filter or 'open'
if filter ~= 'open' and filter ~= 'due' and filter ~= 'done' then
    return bad('filter', 'must be open, due or done')
end
if qs.after and not string.match(qs.after, '^%-?%d+,[%w_%-%.]+$') then
    return bad('after', 'must be the next of a page')
end

local open = who == 'all' and key('plans', 'open')
             or key('plans', 'open', who)
local k, rev, hi = open, false, '+inf'
if filter == 'done' then
    k = who == 'all' and key('plans', 'done') or key('plans', 'done', who)
    rev = true
elseif filter == 'due' then
    hi = NOW
end
local ids, nxt = FU.page(k, rev, '-inf', hi, qs.after,
                         math.max(1, math.min(tonumber(qs.limit) or 50, 200)),
                         function() return true end)
local out = {}
for _, id in ipairs(ids) do
    local p = FU.plan(id)
    if p then
        out[#out + 1] = FU.plan_view(p)
    end
end
return reply(200, { plans = arr(out), next = nxt or cjson.null,
                    due = redis.call('ZCOUNT', open, '-inf', NOW) })
