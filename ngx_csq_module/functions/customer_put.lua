-- flags: none
-- PUT tenants/<t>/customers/<id>: owner agent and private-contact flag
-- (supervisor); body: { owner, private }

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
if not valid_id(ID) then return bad('id', 'must be 1-64 of A-Z a-z 0-9 _ - .') end

local b = body()
if b == nil then return bad('body', 'must be a JSON object') end

local owner = b.owner
if owner ~= nil and owner ~= cjson.null then
    if not valid_id(owner) or redis.call('SISMEMBER', key('agents'), owner) == 0 then
        return bad('owner', 'must name an existing agent or be null')
    end
end
if b.private ~= nil and type(b.private) ~= 'boolean' then
    return bad('private', 'must be true or false')
end

local ck = key('cust', ID)
redis.call('HSET', ck, 'id', ID)
if owner == cjson.null then
    redis.call('HDEL', ck, 'owner')
elseif owner then
    redis.call('HSET', ck, 'owner', owner)
end
if b.private ~= nil then
    redis.call('HSET', ck, 'private', b.private and '1' or '0')
end

event('customer_updated', { customer = ID })

local c = hash(ck)
return reply(200, { id = ID, owner = c.owner or cjson.null,
                    private = c.private == '1',
                    last_agent = c.last_agent or cjson.null })
