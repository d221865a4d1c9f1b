-- flags: none
-- PUT tenants/<t>/channels/<id>: create or update a channel (admin, R1.4,
-- R7.1); body: { name, type (chat, phone, sms; fixed once made), url
-- (where its outbox entries are posted: http or https, and one that the
-- operator's csq_outbox_allow lets out, nginx checks), queue (a chat
-- channel's arrivals), enabled, retry_max (1-50), retry_base_ms
-- (100-60,000: the first retry's wait, doubling, at most 5 minutes),
-- dedup_hours (1-168) and dedup_max (10-1,000,000): how long and how many
-- of the sender's event ids are kept to drop a retried one, rotate_key
-- (true: a new key; the one before is honoured a day) }
-- Its key: GET channels/<id>/key.  At most 100 channels; the id is 1-32.

local b, err = put_prologue()
if err then return err end
if #ID > 32 then return bad('id', 'must be at most 32 bytes') end

local f
f, err = fields(b, { { 'name', 'string', 200 },
                     { 'type', 'enum', CH.TYPES },
                     { 'enabled', 'bool' }, { 'rotate_key', 'bool' },
                     { 'retry_max', 'int', 1, 50 },
                     { 'retry_base_ms', 'int', 100, 60000 },
                     { 'dedup_hours', 'int', 1, 168 },
                     { 'dedup_max', 'int', 10, 1000000 } })
if err then return err end
if b.url ~= nil then
    if type(b.url) ~= 'string' or #b.url > 2000
       or (b.url ~= '' and not string.match(b.url, '^https?://[^%s]+$')) then
        return bad('url', 'must be an http or https url, or ""')
    end
    f.url = b.url
end
if b.queue ~= nil then
    if b.queue ~= '' and (not valid_id(b.queue)
                          or redis.call('EXISTS', key('q', b.queue)) == 0) then
        return bad('queue', 'must be a queue of the tenant, or ""')
    end
    f.queue = b.queue
end

local ck = key('ch', ID)
local ch = CH.get(ID)
if ch and f.type and f.type ~= (ch.type or 'chat') then
    return bad('type', 'cannot change: make another channel')
end
local rotate = f.rotate_key == '1'
f.rotate_key = nil
if ch == nil then
    if redis.call('SCARD', key('chs')) >= CH.MAX then
        return fail(409, 'too_many_channels',
                    'a tenant has at most ' .. CH.MAX .. ' channels')
    end
    redis.call('HSET', ck, 'id', ID, 'name', ID, 'type', f.type or 'chat',
               'generation', 1, 'created', NOW)
    redis.call('SADD', key('chs'), ID)
elseif rotate then
    redis.call('HSET', ck, 'prev_generation', ch.generation or 1,
               'rotated', NOW)
    redis.call('HINCRBY', ck, 'generation', 1)
end
f.updated = NOW
hset_given(ck, f)
event(ch and 'channel_updated' or 'channel_created', { channel = ID })

return reply(ch and 200 or 201, CH.view(CH.get(ID)))
