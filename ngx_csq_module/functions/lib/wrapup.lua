-- ngx_csq_module: a conversation's wrap-up (R4.6, seed 000 §2.2), a part
-- of the Redis function library: its topic and status, from the tenant's
-- lists, and its service note, of the fields the admin defines
-- (fields.lua), some of which may be required before it ends.  Set while
-- the conversation goes on, locked once it has ended.
--   tenant hash: wrapup   { topics, statuses, note_fields } (JSON)
--   conversation hash: topic, wrap_status, note (JSON)

-- the tenant's wrap-up lists: { topics, statuses, note_fields }
local function wrapup_conf(t)
    return cjson.decode((t or hash(KEYS[1])).wrapup or
                        '{"topics":[],"statuses":[],"note_fields":[]}')
end

-- the changes body b asks of conversation c's wrap-up: the fields of its
-- hash to set, or nil and the reply
local function wrapup_check(b, c, conf)
    local set = {}
    for _, f in ipairs({ { 'topic', 'topics', 'topic' },
                         { 'status', 'statuses', 'wrap_status' } }) do
        local v = b[f[1]]
        if v == cjson.null then v = '' end
        if v ~= nil then
            local ok = v == ''
            for _, x in ipairs(conf[f[2]] or {}) do
                if x == v then ok = true end
            end
            if type(v) ~= 'string' or not ok then
                return nil, bad(f[1], 'must be one of the tenant\'s '
                                      .. f[2] .. ' (or empty)')
            end
            set[#set + 1] = f[3]
            set[#set + 1] = v
        end
    end
    if b.note ~= nil then
        local by = {}
        for _, d in ipairs(conf.note_fields or {}) do by[d.name] = d end
        local note, err = field_values(b.note, cjson.decode(c.note or '{}'),
                                       by, 'note', 'the service note')
        if err then return nil, err end
        set[#set + 1] = 'note'
        set[#set + 1] = cjson.encode(note)
    end
    return set
end

-- the required fields of the service note that conversation c (its hash
-- with the changes of set applied) leaves empty: a list of names
local function wrapup_missing(c, set, conf)
    local now = {}
    for k, v in pairs(c) do now[k] = v end
    for i = 1, #set, 2 do now[set[i]] = set[i + 1] end
    local note, missing = cjson.decode(now.note or '{}'), {}
    for _, d in ipairs(conf.note_fields or {}) do
        local v = note[d.name]
        if d.required and (v == nil or v == '' or
                           (type(v) == 'table' and #v == 0)) then
            missing[#missing + 1] = d.name
        end
    end
    return missing
end

-- conversation c's wrap-up as the API shows it
local function wrapup_view(c)
    return { topic = (c.topic or '') ~= '' and c.topic or cjson.null,
             status = (c.wrap_status or '') ~= '' and c.wrap_status
                      or cjson.null,
             note = cjson.decode(c.note or '{}') }
end
