-- flags: none
-- PUT tenants/<t>/customers/<c>: make or change a customer (R6.1-R6.3):
-- name, avatar, phone, email, company, remark, tags, fields (the tenant's
-- business fields), owner, private, library.  Agents change the customers
-- they may see (lib/customers.lua), take one of the pool or let their own
-- go; owners of others, "private" and leaving the library are for
-- supervisors.  A phone or email that is another customer's: 409
-- duplicate (merge them instead).  <c> may be any of the customer's
-- contact ids.

local b, err = put_prologue()
if err then return err end

local id = CUST.id(ID)
local old = CUST.get(id)
if old and not CUST.visible(old) then return CUST.hidden() end

local defs = CUST.field_defs()
local ch
ch, err = CUST.check(b, old or { id = id }, defs)
if err then return err end

local c = CUST.write(id, old, ch)
event(old and 'customer_updated' or 'customer_created', { customer = id })
return reply(old and 200 or 201, CUST.view(c, true))
