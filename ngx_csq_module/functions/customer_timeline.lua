-- flags: no-writes
-- A customer's records, newest first, in pages (before=<ms>, limit 20, at
-- most 100; "next" is the cursor of the page after):
--   GET tenants/<t>/customers/<c>/conversations   (EXTRA 'conversations')
--     message records (R5.3): every conversation the caller may read
--     (lib/records.lua), a deleted one as { id, deleted: true }
--   GET tenants/<t>/customers/<c>/records         (EXTRA 'records')
--     service records (R6.5): conversations, notes, tickets (those the
--     caller may see: lib/tickets.lua, a ticket by its last update), calls
--     and texts (R7.2, R7.3)
--   GET tenants/<t>/customers/<c>/trajectory      (EXTRA 'trajectory')
--     trajectory (R5.4): pages viewed, conversations, notes, tickets, calls
--     and texts
-- Each item has its kind ('conversation', 'note', 'page', 'ticket', 'call',
-- 'sms') and time (at).

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local SOURCES = { conversations = { 'conversations' },
                  records = { 'conversations', 'notes', 'tickets', 'calls',
                              'sms' },
                  trajectory = { 'pages', 'conversations', 'notes',
                                 'tickets', 'calls', 'sms' } }

local c = CUST.get(CUST.id(ID))
if c == nil then return fail(404, 'not_found', 'no such customer') end
if not CUST.visible(c) then return CUST.hidden() end

local qs = query(ARGV[5])
local before = tonumber(qs.before) or math.huge
if qs.before and not tonumber(qs.before) then
    return bad('before', 'must be a time in unix ms')
end
local limit = math.max(1, math.min(tonumber(qs.limit) or 20, 100))

local items, next_cursor = timeline(c.id, SOURCES[EXTRA], before == math.huge
                                    and '+inf' or before, limit)
return reply(200, { customer = c.id, items = arr(items),
                    next = next_cursor or cjson.null })
