-- flags: none
-- PUT tenants/<t>/links/<id>: create or update an entry link, a named
-- channel (admin, R1.2); body: { name, queue, require_login }
-- At most 10,000 live links; a deleted link stays deleted.

local b, err = put_prologue()
if err then return err end

local f
f, err = fields(b, { { 'name', 'string', 200 }, { 'require_login', 'bool' } })
if err then return err end
if b.queue ~= nil and b.queue ~= cjson.null then
    if not valid_id(b.queue) or redis.call('EXISTS', key('q', b.queue)) == 0 then
        return bad('queue', 'must be a queue of the tenant')
    end
    f.queue = b.queue
elseif b.queue == cjson.null then
    f.queue = ''
end

local lk = key('link', ID)
local l = hash(lk)
if l and l.deleted then
    return fail(409, 'link_deleted', 'a deleted link cannot come back')
end
local created = l == nil
if created then
    if redis.call('SCARD', key('links')) >= LINKS_MAX then
        return fail(409, 'too_many_links',
                    'a tenant has at most ' .. LINKS_MAX .. ' links')
    end
    redis.call('HSET', lk, 'id', ID, 'name', ID, 'created', NOW,
               'visits', 0, 'customers', 0)
    redis.call('SADD', key('links'), ID)
end

hset_given(lk, f)
event(created and 'link_created' or 'link_updated', { link = ID })

return reply(created and 201 or 200, link_view(ID, hash(lk)))
