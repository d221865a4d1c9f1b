-- ngx_csq_module: fields an admin defines (a customer's business fields,
-- a conversation's service note), a part of the Redis function library:
-- their definitions and their values, checked by type.
--
-- A definition: { name, label, type, options, required }; type text,
-- number, date, select, multiselect (with options), phone or email.

local FIELD_TYPES = { text = true, number = true, date = true,
                      select = true, multiselect = true, phone = true,
                      email = true }

-- a phone number as it is matched: digits, with a leading + kept;
-- nil when it is not one (5 to 20 digits)
local function norm_phone(s)
    if type(s) ~= 'string' or #s > 40
       or not string.match(s, '^%+?[%d%s%-%.%(%)]+$') then
        return nil
    end
    local plus = string.sub(s, 1, 1) == '+' and '+' or ''
    local d = string.gsub(s, '%D', '')
    if #d < 5 or #d > 20 then
        return nil
    end
    return plus .. d
end

-- an email address as it is matched: trimmed, in lower case
local function norm_email(s)
    if type(s) ~= 'string' then
        return nil
    end
    s = string.lower(string.match(s, '^%s*(.-)%s*$'))
    if #s > 254 or not string.match(s, '^[^@%s]+@[^@%s]+%.[^@%s]+$') then
        return nil
    end
    return s
end

-- the definitions of body field `field` (at most max): the kept list, or
-- nil and the reply; names unique, options given for the selects
local function field_defs(list, field, max)
    if type(list) ~= 'table' or #list > max then
        return nil, bad(field, 'must be an array of at most ' .. max
                               .. ' fields')
    end
    local kept, seen = {}, {}
    for i, d in ipairs(list) do
        local at = field .. '[' .. (i - 1) .. ']'
        if type(d) ~= 'table' or not valid_id(d.name) then
            return nil, bad(at .. '.name', 'must be 1-64 of A-Z a-z 0-9 _ - .')
        end
        if seen[d.name] then
            return nil, bad(at .. '.name', 'is given twice')
        end
        seen[d.name] = true
        if d.label ~= nil
           and (type(d.label) ~= 'string' or #d.label > 200) then
            return nil, bad(at .. '.label',
                            'must be a string of at most 200 bytes')
        end
        if not FIELD_TYPES[d.type] then
            return nil, bad(at .. '.type', 'must be one of date, email, '
                            .. 'multiselect, number, phone, select, text')
        end
        if d.required ~= nil and type(d.required) ~= 'boolean' then
            return nil, bad(at .. '.required', 'must be true or false')
        end
        local f = { name = d.name, label = d.label or d.name, type = d.type,
                    required = d.required or nil }
        if d.type == 'select' or d.type == 'multiselect' then
            local o = d.options
            if type(o) ~= 'table' or #o < 1 or #o > 100 then
                return nil, bad(at .. '.options',
                                'must be an array of 1-100 options')
            end
            for _, x in ipairs(o) do
                if type(x) ~= 'string' or #x < 1 or #x > 200 then
                    return nil, bad(at .. '.options',
                                    'must hold strings of 1-200 bytes')
                end
            end
            f.options = o
        end
        kept[#kept + 1] = f
    end
    return kept
end

-- a field's value checked against its definition: the value to keep
-- (nil: remove it), or nil and why not
local function field_value(d, v)
    if v == cjson.null then
        return nil
    end
    local t = d.type
    if t == 'text' then
        if type(v) == 'string' and #v <= 1000 then return v end
        return nil, 'must be a text of at most 1000 bytes'
    elseif t == 'number' then
        if type(v) == 'number' and v == v and v > -1e15 and v < 1e15 then
            return v
        end
        return nil, 'must be a number'
    elseif t == 'date' then
        local y, m, dd = string.match(type(v) == 'string' and v or '',
                                      '^(%d%d%d%d)%-(%d%d)%-(%d%d)$')
        if y and tonumber(m) >= 1 and tonumber(m) <= 12
           and tonumber(dd) >= 1 and tonumber(dd) <= 31 then
            return v
        end
        return nil, 'must be a date YYYY-MM-DD'
    elseif t == 'phone' then
        local p = norm_phone(v)
        if p then return p end
        return nil, 'must be a phone number'
    elseif t == 'email' then
        local e = norm_email(v)
        if e then return e end
        return nil, 'must be an email address'
    end
    local ok = {}
    for _, o in ipairs(d.options or {}) do ok[o] = true end
    if t == 'select' then
        if type(v) == 'string' and ok[v] then return v end
        return nil, 'must be one of its options'
    end
    if type(v) ~= 'table' or #v > #(d.options or {}) then
        return nil, 'must be an array of its options'
    end
    for _, x in ipairs(v) do
        if not ok[x] then return nil, 'must be an array of its options' end
    end
    -- none chosen is no value (an empty table would read back as {})
    if #v == 0 then return nil end
    return v
end


-- the values of body field `field` (an object of field names) checked by
-- the definitions `by` (name -> definition) onto `have` (what is kept):
-- the values to keep, or nil and the reply (naming "<field>.<name>")
local function field_values(given, have, by, field, what)
    if type(given) ~= 'table' then
        return nil, bad(field, 'must be an object')
    end
    for name, v in pairs(given) do
        local d = by[name]
        if d == nil then
            return nil, bad(field .. '.' .. tostring(name),
                            'is not a field of ' .. what)
        end
        local x, why = field_value(d, v)
        if why then
            return nil, bad(field .. '.' .. name, why)
        end
        have[name] = x
    end
    return have
end
