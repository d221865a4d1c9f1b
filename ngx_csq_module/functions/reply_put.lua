-- flags: none
-- PUT tenants/<t>/quick-replies/team/<id> (supervisor) and
-- PUT tenants/<t>/quick-replies/mine/<id> (the agent's own): a quick
-- reply (R4.8), { category, title, text (1-2,000 bytes), position (1
-- first; a new one goes last) }.  EXTRA: the scope.  -> the reply

local b, err = put_prologue()
if err then return err end
if not QR.may(EXTRA) then
    return fail(403, 'forbidden', 'the team\'s replies are a supervisor\'s')
end
local r
r, err = QR.check(b)
if err then return err end
local pos, e = opt_int(b, 'position', 1, 1000)
if e then return bad('position', e) end

local ok, full = QR.put(EXTRA, ID, r, pos)
if not ok then return full end
r.scope = EXTRA
return reply(200, r)
