-- flags: none
-- POST tenants/<t>/customers/batch: one change to many customers (R6.2):
-- { customers: [ids, at most 1,000], owner, add_tags, remove_tags,
--   library }.  Each customer is checked as its own PUT would be (the
-- caller's rights, at most 20 tags) and changed when it passes; the
-- others are reported, nothing of theirs changed.  The whole batch is
-- one Redis call: nobody sees half of it.
-- -> { updated, failed: [{ customer, code, message }] }

local b = body()
if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
if b == nil then return bad('body', 'must be a JSON object') end

local ids = b.customers
if type(ids) ~= 'table' or #ids < 1 or #ids > 1000 then
    return bad('customers', 'must be an array of 1-1000 customer ids')
end
for _, f in ipairs({ 'add_tags', 'remove_tags' }) do
    local l = b[f]
    if l ~= nil then
        if type(l) ~= 'table' or #l > CUST_TAGS_MAX then
            return bad(f, 'must be an array of at most ' .. CUST_TAGS_MAX
                          .. ' tags')
        end
        for _, tg in ipairs(l) do
            if not CUST.tag_ok(tg) then
                return bad(f, 'must hold tags of 1-64 bytes')
            end
        end
    end
end
if not owner_ok(b.owner) then
    return bad('owner', 'must name an existing agent or be null')
end
if b.library ~= nil and type(b.library) ~= 'boolean' then
    return bad('library', 'must be true or false')
end
if b.owner == nil and b.add_tags == nil and b.remove_tags == nil
   and b.library == nil then
    return bad('owner', 'or add_tags, remove_tags, library is required')
end

local defs = CUST.field_defs()
local updated, failed, done = 0, {}, {}

local function refuse(id, code, message)
    failed[#failed + 1] = { customer = tostring(id), code = code,
                            message = message }
end

for _, given in ipairs(ids) do
    local id = valid_id(given) and CUST.id(given)
    local c = id and CUST.get(id)
    if not valid_id(given) then
        refuse(given, 'invalid_field', 'not a customer id')
    elseif c == nil then
        refuse(given, 'not_found', 'no such customer')
    elseif done[id] then
        refuse(given, 'duplicate', 'given twice (or a contact of another)')
    elseif not CUST.visible(c) then
        refuse(given, 'forbidden', 'this customer is another agent\'s')
    else
        done[id] = true
        local one = { owner = b.owner, library = b.library }
        if b.add_tags or b.remove_tags then
            local drop, tags, seen = {}, {}, {}
            for _, tg in ipairs(b.remove_tags or {}) do drop[tg] = true end
            for _, l in ipairs({ cjson.decode(c.tags or '[]'),
                                 b.add_tags or {} }) do
                for _, tg in ipairs(l) do
                    if not drop[tg] and not seen[tg] then
                        seen[tg] = true
                        tags[#tags + 1] = tg
                    end
                end
            end
            one.tags = tags
        end
        local ch, e = CUST.check(one, c, defs)
        if e then
            local why = cjson.decode(e[2]).error
            refuse(given, why.code, why.message)
        else
            CUST.write(id, c, ch)
            updated = updated + 1
        end
    end
end

if updated > 0 then
    event('customers_batch', { customers = updated })
end
return reply(200, { updated = updated, failed = arr(failed) })
