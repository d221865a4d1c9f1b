-- flags: no-writes
-- POST tenants/<t>/login: what nginx needs to check a password
-- body: { agent, password }; returns { 200, '', role, stored hash }

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
if not valid_id(b.agent) then return bad('agent', 'must be an agent id') end
if type(b.password) ~= 'string' then return bad('password', 'must be a string') end

local a = tenant_exists() and agent(b.agent) or nil
if a == nil or (a.password or '') == '' then
    return fail(401, 'bad_credentials', 'unknown agent or wrong password')
end

return { 200, '', a.role or 'agent', a.password }
