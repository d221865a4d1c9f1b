-- flags: no-writes
-- GET tenants/<t>/attachments/<id>: an attachment's bytes (R5.6), for
-- whoever may read its conversation (its customer, those who served it
-- or own its customer, supervisors: records.lua).  -> { 200, type,
-- name, "inline" | "attachment", bytes }; else { status, error }.  Only
-- an image that its bytes prove (attach_put.lua) is inline, as its type;
-- the rest is a download of application/octet-stream.

if not tenant_exists() then
    return fail(404, 'not_found', 'no such tenant')
end
local r = redis.call('HMGET', key('att', ID), 'conv', 'type', 'name',
                     'image', 'data')
if not r[1] then return fail(404, 'not_found', 'no such attachment') end
local c = hash(key('c', r[1]))
if c == nil or not conv_readable(r[1], c) then
    return fail(404, 'not_found', 'no such attachment')
end
if r[4] == '1' then
    return { 200, r[2], r[3], 'inline', r[5] }
end
return { 200, 'application/octet-stream', r[3], 'attachment', r[5] }
