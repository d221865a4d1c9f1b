-- flags: no-writes
-- GET tenants/<t>/agents/<id>/conversations: its active conversations and
-- the ones waiting for it alone (the agent itself, or a supervisor)

local a = agent(ID)
if a == nil then return fail(404, 'not_found', 'no such agent') end

local active, waiting = agent_conversations(ID, 1e9)

return reply(200, { agent = ID, active = active, waiting = waiting })
