-- flags: none
-- POST tenants/<t>/quick-replies/import: { csv, scope } (team: supervisor;
-- mine: the agent's own): rows category,title,text (a header row first,
-- as the export gives them) added at the end, in their order (seed 004);
-- at most the scope's room.  -> { added, errors: [{ row, message }] }

local b, err = body_prologue()
if err then return err end
local scope = b.scope or 'mine'
if scope ~= 'team' and scope ~= 'mine' then
    return bad('scope', 'must be team or mine')
end
if not QR.may(scope) then
    return fail(403, 'forbidden', 'the team\'s replies are a supervisor\'s')
end
if type(b.csv) ~= 'string' then return bad('csv', 'must be the CSV text') end
local rows, rest = csv_rows(b.csv, 1, QR.MAX[scope] + 1)
if rows == nil then return bad('csv', 'has a quoted field not closed') end

local added, errors = 0, {}
for i, row in ipairs(rows) do
    if i > 1 then
        local r, e = QR.check({ category = row[1], title = row[2],
                                text = row[3] })
        local ok, full = false, e
        if r then
            local _, rk = QR.keys(scope)
            local id
            repeat
                id = 'r' .. redis.call('HINCRBY', KEYS[1], 'qrseq', 1)
            until redis.call('HEXISTS', rk, id) == 0
            for _, f in ipairs({ 'category', 'title', 'text' }) do
                r[f] = csv_undefuse(r[f])
            end
            ok, full = QR.put(scope, id, r)
        end
        if ok then
            added = added + 1
        else
            errors[#errors + 1] = { row = i,
                                    message = cjson.decode(full[2]).error.message }
        end
    end
end
if rest then
    errors[#errors + 1] = { row = #rows + 1, message = 'at most '
                            .. QR.MAX[scope] .. ' rows: this one and the '
                            .. 'rest were not read' }
end
return reply(200, { added = added, errors = arr(errors) })
