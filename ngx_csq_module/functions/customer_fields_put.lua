-- flags: none
-- PUT tenants/<t>/customer-fields: the tenant's business fields of a
-- customer (admin, R6.1): { fields: [{ name, label, type, options }] },
-- at most 50; type text, number, date, select, multiselect, phone, email;
-- options (1-100 of at most 200 bytes) for the two selects.  Values a
-- removed field had stay on the records (shown, not searched anew) and
-- come back into use if the field is defined again.

local b, err = body_prologue()
if err then return err end

local list = b.fields

local kept, err2 = field_defs(list, 'fields', 50)
if err2 then return err2 end

redis.call('HSET', KEYS[1], 'customer_fields',
           #kept == 0 and '[]' or cjson.encode(kept))
event('customer_fields', { tenant = TENANT })
local _, out = CUST.field_defs()
return reply(200, { fields = arr(out) })
