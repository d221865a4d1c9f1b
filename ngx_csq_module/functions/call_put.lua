-- flags: none
-- PUT tenants/<t>/calls/<id> (R7.1, R7.2): the call's agent (or a
-- supervisor) relinks it to another customer of the library ({ customer:
-- id }, or null: nobody's) and writes its note ({ note: 0-2,000 bytes })

local b, err = body_prologue()
if err then return err end
local c = CALL.get(ID)
if c == nil then return fail(404, 'not_found', 'no such call') end
if (ROLES[ROLE] or 0) < ROLES.supervisor and c.agent ~= ACTOR then
    return fail(403, 'forbidden', 'not your call')
end
local f
f, err = fields(b, { { 'note', 'string', 2000 } })
if err then return err end
local relink, rid = b.customer ~= nil, nil
if relink and b.customer ~= cjson.null then
    local cust
    cust, err = CALL.customer_arg(b.customer)
    if err then return err end
    rid = cust.id
end

if relink then
    CALL.link(c, rid)
end
if f.note then
    redis.call('HSET', key('call', ID), 'note', f.note)
end
redis.call('HSET', key('call', ID), 'by', ACTOR)
c = CALL.get(ID)
CALL.tell(c, c.agent)
return reply(200, CALL.view(c))
