-- flags: no-writes
-- GET tenants/<t>/conversations/<id>: state, agent, or position (agent)

local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end

return reply(200, conversation_view(ID, c))
