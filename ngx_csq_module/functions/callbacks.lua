-- flags: no-writes
-- GET tenants/<t>/callbacks?filter=&kind=&after=&limit=: the callback
-- list (R4.9, R7.5, followup.lua): customers who gave up before anyone
-- served them (kind "chat": an abandoned chat; "call": a lost call),
-- newest first.  A supervisor sees all, an agent those of its queues,
-- its own and its customers'.  filter: open (default) or done; kind:
-- chat or call (default both); limit: 50 (at most 200); after: the
-- `next` of the page before.
-- -> { callbacks: [{ id, kind, ref, conversation, customer,
--      customer_name, queue, agent, at, waited (ms), status, done_by,
--      done, outcome }], open: how many wait (all of the tenant's),
--      next: cursor or null }

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local qs = query(ARGV[5])
local filter = qs.filter or 'open'
if filter ~= 'open' and filter ~= 'done' then
    return bad('filter', 'must be open or done')
end
if qs.kind and qs.kind ~= 'chat' and qs.kind ~= 'call' then
    return bad('kind', 'must be chat or call')
end
if qs.after and not string.match(qs.after, '^%-?%d+,[%w_%-%.]+$') then
    return bad('after', 'must be the next of a page')
end

local seen = {}
local ids, nxt = FU.page(key('cb', filter), true, '-inf', '+inf', qs.after,
    math.max(1, math.min(tonumber(qs.limit) or 50, 200)), function(id)
        local e = FU.callback(id)
        if e and (qs.kind == nil or e.kind == qs.kind)
           and FU.callback_visible(e) then
            seen[id] = e
            return true
        end
        return false
    end)
local out = {}
for i, id in ipairs(ids) do
    out[i] = FU.callback_view(seen[id])
end
return reply(200, { callbacks = arr(out), next = nxt or cjson.null,
                    open = redis.call('ZCARD', key('cb', 'open')) })
