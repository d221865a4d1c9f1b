-- flags: none
-- POST tenants/<t>/entry: a page opens (R1.1, R1.2, R8.1): the tenant and
-- link it shows, and the visit counted.  ID: the link ('' none); ACTOR:
-- the visitor (nginx made or checked its token); EXTRA 'verified' for a
-- customer the tenant's site signed in.
-- Returns { 200, page JSON } (nginx adds the visitor and its token).

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local t = hash(KEYS[1])
if not origin_ok(t) then return origin_refused() end

local l = nil
if ID ~= '' then
    local err
    l, err = live_link(ID)
    if err then return err end
end

record_visit(CUSTOMER, ID)

local faq = cjson.decode(t.faq_links or '[]')
return reply(200, {
    tenant = { id = TENANT, name = t.name or TENANT, avatar = t.avatar or '' },
    link = l and { id = ID, name = l.name } or cjson.null,
    faq_links = arr(faq),
    require_login = t.require_login == '1' or (l ~= nil
                                               and l.require_login == '1'),
    verified = EXTRA == 'verified' })
