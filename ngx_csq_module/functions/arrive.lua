-- flags: none
-- POST tenants/<t>/conversations: a customer arrives (R3.2, R3.3, R3.6)
-- body: { customer, channel, queue, priority, language, product,
--         attributes: {...}, customer_hash }
-- EXTRA: "<verified|-> <limit> <address>" (client_extra(): R1.5, R9.6)
-- Returns the conversation: assigned to an agent, or waiting with its
-- position and estimated wait.

local b, err = body_prologue()
if err then return err end
local verified, limit, addr = client_extra()
return ARR.run(b, { verified = verified, limit = limit, addr = addr })
