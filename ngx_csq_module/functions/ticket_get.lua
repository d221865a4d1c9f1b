-- flags: no-writes
-- GET tenants/<t>/tickets/<id>: a ticket the caller may see (R6.5), with
-- its description and history (comments and changes, oldest first)
-- -> TK.full

local tk, err = TK.find()
if err then return err end
return reply(200, TK.full(tk))
