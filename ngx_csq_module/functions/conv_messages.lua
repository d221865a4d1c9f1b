-- flags: no-writes
-- GET tenants/<t>/conversations/<id>/messages?before=<id>|after=<id>&
-- limit=: a transcript, a page at a time both ways (R5.3, R5.5): the
-- newest limit (50, at most 200) messages, or those just before or just
-- after a message id, oldest first, with more_before and more_after, and
-- the conversation's private notes (conv_note.lua).
-- Who may read it: lib/records.lua.  A conversation deleted after the
-- tenant's retention is 404 not_found.

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local c = hash(key('c', ID))
if c == nil then
    return fail(404, 'not_found', 'no such conversation (or deleted after '
                .. 'the tenant\'s retention)')
end
if not conv_readable(ID, c) then
    return fail(403, 'forbidden', 'not a conversation you may read')
end

local qs = query(ARGV[5])
local limit = math.max(1, math.min(tonumber(qs.limit) or 50, 200))
for _, f in ipairs({ 'before', 'after' }) do
    if qs[f] and not valid_entry_id(qs[f]) then
        return bad(f, 'must be a message id')
    end
end
if qs.before and qs.after then
    return bad('before', 'and "after" do not go together')
end

local lk = key('log', ID)
local read, more_before, more_after
if qs.after then
    read = redis.call('XRANGE', lk, '(' .. qs.after, '+', 'COUNT', limit + 1)
    more_after = #read > limit
    if more_after then read[#read] = nil end
    more_before = #redis.call('XREVRANGE', lk, qs.after, '-', 'COUNT', 1) > 0
else
    local top = qs.before and ('(' .. qs.before) or '+'
    local rev = redis.call('XREVRANGE', lk, top, '-', 'COUNT', limit + 1)
    more_before = #rev > limit
    if more_before then rev[#rev] = nil end
    more_after = qs.before ~= nil
                 and #redis.call('XRANGE', lk, qs.before, '+', 'COUNT', 1) > 0
    read = {}
    for i = #rev, 1, -1 do read[#read + 1] = rev[i] end
end

local msgs = {}
for i, e in ipairs(read) do
    local m = cjson.decode(e[2][2])
    m.id = e[1]
    msgs[i] = m
end
-- the private notes (agents only, never in the log): all of them
local notes = {}
for i, n in ipairs(redis.call('ZRANGE', key('c', ID, 'notes'), 0, -1)) do
    notes[i] = cjson.decode(n)
end
return reply(200, { conversation = conv_summary(ID, c), messages = arr(msgs),
                    more_before = more_before, more_after = more_after,
                    notes = arr(notes) })
