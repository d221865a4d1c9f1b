-- flags: none
-- PUT tenants/<t>/tickets/<id>: changes a ticket the caller may see
-- (R6.5), as a customer's PUT does: the fields given change, the others
-- stay: { title (1-200 bytes), description (10,000), status (open,
-- pending, solved), priority (low, normal, high, urgent), assignee (an
-- agent, or null for none) }.  A change of status, priority or assignee
-- joins the history as { kind: change, author, at, field, from, to }, at
-- most TK.CHANGES_MAX (500) a ticket (409 too_many_changes, nothing
-- changed).  Solving it sets solved (the retention's clock), reopening
-- clears it.  A new assignee other than the caller gets a 'ticket' frame
-- (event assigned).  -> the ticket (TK.full)

local tk, err = TK.find()
if err then return err end
local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
local f
f, err = TK.check(b)
if err then return err end

-- the changes the history keeps
local changes = {}
for _, k in ipairs({ 'status', 'priority', 'assignee' }) do
    if f[k] and f[k] ~= (tk[k] or '') then
        changes[#changes + 1] = { kind = 'change', field = k,
                                  from = (tk[k] or '') ~= '' and tk[k]
                                         or cjson.null,
                                  to = f[k] ~= '' and f[k] or cjson.null }
    end
end
local n = (tonumber(tk.nchanges) or 0) + #changes
if n > TK.CHANGES_MAX then
    return fail(409, 'too_many_changes', 'this ticket has had '
                .. TK.CHANGES_MAX .. ' changes of status, priority or '
                .. 'assignee: no more can be made')
end

local old = { assignee = tk.assignee, status = tk.status }
local set = {}
for k, v in pairs(f) do
    if v ~= tk[k] then set[k] = v end
end
if next(set) == nil then
    return reply(200, TK.full(tk))
end
for _, e in ipairs(changes) do TK.log(tk.id, e) end
set.nchanges, set.updated = tostring(n), tostring(NOW)
if set.status == 'solved' then
    set.solved = tostring(NOW)
elseif set.status then
    redis.call('HDEL', key('tk', tk.id), 'solved')
    tk.solved = nil
end
hset_given(key('tk', tk.id), set)
for k, v in pairs(set) do tk[k] = v end
TK.index(tk, old)
event('ticket_changed', { ticket = tk.id, customer = tk.customer })
if set.assignee then TK.tell(tk, 'assigned') end
return reply(200, TK.full(tk))
