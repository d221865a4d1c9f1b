-- flags: none
-- PUT tenants/<t>/customer-fields: the tenant's business fields of a
-- customer (admin, R6.1): { fields: [{ name, label, type, options }] },
-- at most 50; type text, number, date, select, multiselect, phone, email;
-- options (1-100 of at most 200 bytes) for the two selects.  Values a
-- removed field had stay on the records (shown, not searched anew) and
-- come back into use if the field is defined again.

local b, err = body_prologue()
if err then return err end

local list = b.fields
if type(list) ~= 'table' or #list > 50 then
    return bad('fields', 'must be an array of at most 50 fields')
end

local kept, seen = {}, {}
for i, d in ipairs(list) do
    local at = 'fields[' .. (i - 1) .. ']'
    if type(d) ~= 'table' or not valid_id(d.name) then
        return bad(at .. '.name', 'must be 1-64 of A-Z a-z 0-9 _ - .')
    end
    if seen[d.name] then return bad(at .. '.name', 'is given twice') end
    seen[d.name] = true
    if d.label ~= nil and (type(d.label) ~= 'string' or #d.label > 200) then
        return bad(at .. '.label', 'must be a string of at most 200 bytes')
    end
    if not CUST_FIELD_TYPES[d.type] then
        return bad(at .. '.type', 'must be one of date, email, multiselect, '
                   .. 'number, phone, select, text')
    end
    local f = { name = d.name, label = d.label or d.name, type = d.type }
    if d.type == 'select' or d.type == 'multiselect' then
        local o = d.options
        if type(o) ~= 'table' or #o < 1 or #o > 100 then
            return bad(at .. '.options', 'must be an array of 1-100 options')
        end
        for _, x in ipairs(o) do
            if type(x) ~= 'string' or #x < 1 or #x > 200 then
                return bad(at .. '.options',
                           'must hold strings of 1-200 bytes')
            end
        end
        f.options = o
    end
    kept[#kept + 1] = f
end

redis.call('HSET', KEYS[1], 'customer_fields',
           #kept == 0 and '[]' or cjson.encode(kept))
event('customer_fields', { tenant = TENANT })
local _, out = cust_field_defs()
return reply(200, { fields = arr(out) })
