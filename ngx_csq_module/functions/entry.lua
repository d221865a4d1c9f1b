-- flags: none
-- POST tenants/<t>/entry: a page opens (R1.1, R1.2, R8.1): the tenant and
-- link it shows, and the visit counted.  ID: the link ('' none); ACTOR:
-- the visitor (nginx made or checked its token); EXTRA: "<verified|->
-- <limit> <address>" (client_extra(): R1.5 a customer the tenant's site
-- signed in; R9.6 csq_entry_limit a minute an address).
-- Returns { 200, page JSON } (nginx adds the visitor and its token),
-- with the tenant's lang (R10.1, the page's language unless its URL
-- says), the welcome of the queue the page's first word will go to (R4.3):
-- the page shows it, and makes its conversation only when the visitor
-- writes (R9.6: a page view holds no agent and no place in a queue).

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end

local t = hash(KEYS[1])
if not origin_ok(t) then return origin_refused() end

local l = nil
if ID ~= '' then
    local err
    l, err = live_link(ID)
    if err then return err end
end

local verified, limit, addr = client_extra()
local full = address_full('entry', limit, addr)
if full then return full end
address_count('entry', limit, addr)

record_visit(CUSTOMER, ID)

-- the page's arrival names its link (its queue, its id as the channel)
local qid = arrival_queue(t, l and (l.queue or '') ~= '' and l.queue or nil,
                         { channel = ID ~= '' and ID or 'web' })
local q = qid and qid ~= '' and hash(key('q', qid))
local welcome = q and welcome_text(q) or ''

local faq = cjson.decode(t.faq_links or '[]')
return reply(200, {
    tenant = { id = TENANT, name = t.name or TENANT, avatar = t.avatar or '',
               lang = t.lang or '' },
    link = l and { id = ID, name = l.name } or cjson.null,
    faq_links = arr(faq),
    welcome = welcome ~= '' and welcome or cjson.null,
    require_login = t.require_login == '1' or (l ~= nil
                                               and l.require_login == '1'),
    verified = verified })
