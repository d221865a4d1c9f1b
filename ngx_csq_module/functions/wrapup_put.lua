-- flags: none
-- PUT tenants/<t>/wrapup: the tenant's wrap-up (admin, R4.6): topics (at
-- most 100) and statuses (at most 50) of 1-64 bytes, and the service
-- note's fields (at most 20, fields.lua; "required": true ones must be
-- given before a conversation ends)

local b, err = body_prologue()
if err then return err end

local conf = {}
for _, f in ipairs({ { 'topics', 100 }, { 'statuses', 50 } }) do
    local l = b[f[1]]
    if l == nil or l == cjson.null then l = {} end
    if type(l) ~= 'table' or #l > f[2] then
        return bad(f[1], 'must be an array of at most ' .. f[2] .. ' names')
    end
    local seen = {}
    for _, x in ipairs(l) do
        if not CUST.tag_ok(x) or seen[x] then
            return bad(f[1], 'must hold names of 1-64 bytes, each once')
        end
        seen[x] = true
    end
    conf[f[1]] = l
end
local fields
local nf = b.note_fields
if nf == nil or nf == cjson.null then nf = {} end
fields, err = field_defs(nf, 'note_fields', 20)
if err then return err end
conf.note_fields = fields

redis.call('HSET', KEYS[1], 'wrapup', encode({
    topics = arr(conf.topics), statuses = arr(conf.statuses),
    note_fields = arr(conf.note_fields) }))
event('wrapup_updated', { tenant = TENANT })
local w = wrapup_conf()
return reply(200, { topics = arr(w.topics), statuses = arr(w.statuses),
                    note_fields = arr(w.note_fields) })
