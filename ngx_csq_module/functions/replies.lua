-- flags: no-writes
-- GET tenants/<t>/quick-replies?q=&category=&scope=: the quick replies
-- an agent may use (R4.8): the team's and its own, each in its order,
-- those with every word of q in their title, text or category (the
-- composer's "/"), at most 200 of each; scope=team or mine for one,
-- all of it (the workbench's management dialog lists a scope to order it)
-- -> { team: [...], mine: [...] }, each { id, scope, category, title,
-- text }.  EXTRA 'csv' (GET .../quick-replies/export?scope=): CSV of one
-- scope, category,title,text, in order (import takes it back)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local qs = query(ARGV[5])
if qs.scope and qs.scope ~= 'team' and qs.scope ~= 'mine' then
    return bad('scope', 'must be team or mine')
end

if EXTRA == 'csv' then
    local out = { csv_line({ 'category', 'title', 'text' }) }
    for _, r in ipairs(QR.list(qs.scope or 'team', nil, nil, 500)) do
        out[#out + 1] = csv_line({ r.category, r.title, r.text })
    end
    return { 200, table.concat(out) }
end

local v = {}
for _, scope in ipairs({ 'team', 'mine' }) do
    if qs.scope == nil or qs.scope == scope then
        v[scope] = arr(QR.list(scope, qs.q, qs.category,
                               qs.scope and QR.MAX[scope] or 200))
    end
end
return reply(200, v)
