-- flags: none
-- POST tenants/<t>/customers/import: { csv, owner } (supervisor): CSV
-- rows into the library (R6.1), at most 10,000 an import.  The first row
-- names the columns: id, name, phone, email, company, remark, avatar,
-- owner, tags (separated by ;), and the tenant's fields (as field:<name>
-- or <name>; a multiselect's options separated by ;); an export's added
-- and last_seen are taken and left alone, so an export imports back.
-- Each row is matched by id, else phone, else email (R6.1) and updates
-- that customer, or makes a new one (id u<n> when none is given); an
-- empty cell changes nothing; a cell our export defused ('=...) comes
-- back as it was.
-- A row that fails a check is reported, nothing of it kept.
--
-- At most BATCH rows a call, so that Redis is never held for long: nginx
-- calls again with EXTRA "<byte offset> <row> <job>" (r[3]) until r[3] is
-- '0'; the job's counts and errors wait meanwhile in import:<job> (an
-- hour at most).  The last call answers { created, updated, failed,
-- errors: [{ row, message }] (the first 1,000) }, rows numbered as in
-- the file (the header is row 1).

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local BATCH, ROWS_MAX, ERRORS_MAX = 500, 10000, 1000

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
if type(b.csv) ~= 'string' or #b.csv == 0 then
    return bad('csv', 'must be the CSV text')
end
local owner = b.owner
if not owner_ok(owner) then
    return bad('owner', 'must name an existing agent')
end

local defs = CUST.field_defs()
local head, pos = csv_rows(b.csv, 1, 1)
if head == nil or #head == 0 then
    return bad('csv', 'has no header row')
end
head = head[1]
local PLAIN = { id = true, name = true, phone = true, email = true,
                company = true, remark = true, avatar = true, owner = true,
                tags = true }
local EXPORTED = { added = true, last_seen = true }   -- an export's own
local cols = {}
for i, h in ipairs(head) do
    h = string.lower(string.match(h, '^%s*(.-)%s*$'))
    local f = string.match(h, '^field:(.+)$')
    if PLAIN[h] then
        cols[i] = { plain = h }
    elseif EXPORTED[h] then
        cols[i] = { skip = true }
    elseif defs[f or h] then
        cols[i] = { field = defs[f or h] }
    else
        return bad('csv', 'column ' .. i .. ' ("' .. string.sub(h, 1, 64)
                   .. '") is not a customer field')
    end
end

local at, row, job = string.match(EXTRA or '', '^(%d+) (%d+) (%d+)$')
at, row = tonumber(at) or pos, tonumber(row) or 1
local jk
if job == nil then
    job = tostring(redis.call('HINCRBY', KEYS[1], 'importseq', 1))
    jk = key('import', job)
    redis.call('HSET', jk, 'created', 0, 'updated', 0, 'failed', 0)
else
    jk = key('import', job)
    if redis.call('EXISTS', jk) == 0 then
        return fail(409, 'import_lost', 'this import\'s state expired')
    end
end
redis.call('PEXPIRE', jk, 3600000)


local function failed(n, message)
    redis.call('HINCRBY', jk, 'failed', 1)
    if redis.call('LLEN', jk .. ':errors') < ERRORS_MAX then
        redis.call('RPUSH', jk .. ':errors',
                   cjson.encode({ row = n, message = message }))
        redis.call('PEXPIRE', jk .. ':errors', 3600000)
    end
end

local rows, nextpos = {}, nil
if at then
    rows, nextpos = csv_rows(b.csv, at, BATCH)
    if rows == nil then
        failed(row + 1, 'a quoted field is not closed: the rest is not read')
        rows, nextpos = {}, nil
    end
end

for _, r in ipairs(rows) do
    row = row + 1
    if row - 1 > ROWS_MAX then
        failed(row, 'an import takes at most ' .. ROWS_MAX .. ' rows: '
               .. 'this one and the rest are not read')
        nextpos = nil
        break
    end
    local one, fields, id = { library = true }, {}, nil
    local why
    for i, col in ipairs(cols) do
        local v = csv_undefuse(string.match(r[i] or '', '^%s*(.-)%s*$'))
        if v ~= '' and not col.skip then
            if col.plain == 'id' then
                id = v
            elseif col.plain == 'tags' then
                local t = {}
                for tg in string.gmatch(v, '[^;]+') do
                    t[#t + 1] = string.match(tg, '^%s*(.-)%s*$')
                end
                one.tags = t
            elseif col.plain then
                one[col.plain] = v
            else
                local d = col.field
                if d.type == 'number' then
                    fields[d.name] = tonumber(v) or v
                elseif d.type == 'multiselect' then
                    local t = {}
                    for x in string.gmatch(v, '[^;]+') do
                        t[#t + 1] = string.match(x, '^%s*(.-)%s*$')
                    end
                    fields[d.name] = t
                else
                    fields[d.name] = v
                end
            end
        end
    end
    if next(fields) then one.fields = fields end
    if one.owner == nil and owner and owner ~= cjson.null then
        one.owner = owner
    end

    local c
    if id then
        if not valid_id(id) then
            why = '"id" must be 1-64 of A-Z a-z 0-9 _ - .'
        else
            id = CUST.id(id)
            c = CUST.get(id)
        end
    else
        local ik = key('ident')
        local p, e = norm_phone(one.phone), norm_email(one.email)
        id = (p and redis.call('HGET', ik, 'p:' .. p))
             or (e and redis.call('HGET', ik, 'e:' .. e))
        c = id and CUST.get(id)
        while c == nil and (id == nil
                            or redis.call('EXISTS', key('cust', id)) == 1) do
            id = 'u' .. redis.call('HINCRBY', KEYS[1], 'custseq', 1)
        end
    end
    local ch
    if not why then
        local e
        ch, e = CUST.check(one, c or { id = id }, defs)
        if e then
            why = cjson.decode(e[2]).error.message
        end
    end
    if why then
        failed(row, why)
    else
        CUST.write(id, c, ch)
        redis.call('HINCRBY', jk, c and 'updated' or 'created', 1)
    end
end

if nextpos then
    local r = reply(202, { importing = true, row = row })
    r[3] = nextpos .. ' ' .. row .. ' ' .. job
    return r
end

local counts = hash(jk)
local errors = {}
for i, e in ipairs(redis.call('LRANGE', jk .. ':errors', 0, -1)) do
    errors[i] = cjson.decode(e)
end
redis.call('DEL', jk, jk .. ':errors')
event('customers_imported', { created = counts.created,
                              updated = counts.updated })
local r = reply(200, { created = num(counts.created, 0),
                       updated = num(counts.updated, 0),
                       failed = num(counts.failed, 0), errors = arr(errors) })
r[3] = '0'
return r
