-- flags: none
-- POST tenants/<t>/conversations/<id>/attachments?name=<file name>: a
-- file or an image for the conversation (R5.6), its bytes as the request
-- body (EXTRA) and { name, type } (the declared Content-Type) as the
-- body.  Whoever may write in the conversation (its customer, its agent,
-- a supervisor) may attach while it goes on.  The bytes are kept in Redis
-- beside the conversation, so any nginx node serves them, and go with it
-- when retention deletes it (retention.lua).  An image is what its first
-- bytes say (PNG, JPEG, GIF, WebP), whatever was declared; anything else
-- is a file, served only as a download (attach_get.lua).
-- Bounds: 100 attachments a conversation (409 too_many_attachments); a
-- customer attaches 10 a minute a conversation (429); the tenant's
-- attachment_quota_mb (1024; 0: none allowed, 403 attachments_off) for
-- all it keeps (507 storage_full).  -> { id, name, mime, size, image }

local ATT_MAX = 100
local ATT_RATE = 10

local b, err = body_prologue()
if err then return err end
local c = hash(key('c', ID))
if c == nil then return fail(404, 'not_found', 'no such conversation') end
local _, denied = side_of(c)
if denied then return denied end
if ended(c) then
    return fail(409, 'conflict', 'the conversation has ended')
end

local name = type(b.name) == 'string' and b.name or ''
name = string.gsub(string.match(name, '([^/\\]*)$'), '%c', '_')
if #name == 0 then name = 'file' end
if #name > 200 then return bad('name', 'must be at most 200 bytes') end
local data = EXTRA or ''
if #data == 0 then return bad('file', 'is empty') end

local quota = tonumber(redis.call('HGET', KEYS[1], 'attachment_quota_mb')
                       or 1024)
if quota == 0 then
    return fail(403, 'attachments_off', 'this help desk takes no files')
end
if tonumber(c.atts or 0) >= ATT_MAX then
    return fail(409, 'too_many_attachments',
                'this conversation has ' .. ATT_MAX .. ' attachments')
end
local rate = ROLE == 'customer' and ATT_RATE or 0
local full = address_full('att', rate, ID, 'too many files: wait a moment')
if full then return full end
local bk = key('att', 'bytes')
if (tonumber(redis.call('GET', bk)) or 0) + #data > quota * 1048576 then
    return fail(507, 'storage_full', 'the help desk keeps no more files')
end

-- what the bytes are: only these images are ever shown inline
local head = string.sub(data, 1, 12)
local image
if string.sub(head, 1, 8) == '\137PNG\r\n\26\n' then
    image = 'image/png'
elseif string.sub(head, 1, 3) == '\255\216\255' then
    image = 'image/jpeg'
elseif string.sub(head, 1, 6) == 'GIF87a' or string.sub(head, 1, 6) == 'GIF89a'
then
    image = 'image/gif'
elseif string.sub(head, 1, 4) == 'RIFF' and string.sub(head, 9, 12) == 'WEBP'
then
    image = 'image/webp'
end
-- else the declared type, for the pages to show (never served as such)
local declared = type(b.type) == 'string' and string.lower(b.type) or ''
declared = string.match(declared, '^([%w.+-]+/[%w.+-]+)') or ''
local ctype = image or declared
if ctype == '' or (not image and string.match(ctype, '^image/')) then
    ctype = 'application/octet-stream'
end

local id = 'f' .. redis.call('HINCRBY', KEYS[1], 'attseq', 1)
redis.call('HSET', key('att', id), 'data', data, 'name', name,
           'type', ctype, 'size', #data, 'conv', ID, 'by', ACTOR,
           'role', ROLE, 'at', NOW, 'image', image and 1 or 0)
redis.call('SADD', key('c', ID, 'att'), id)
redis.call('HINCRBY', key('c', ID), 'atts', 1)
redis.call('INCRBY', bk, #data)
address_count('att', rate, ID)
return reply(201, { id = id, name = name, mime = ctype, size = #data,
                    image = image ~= nil })
