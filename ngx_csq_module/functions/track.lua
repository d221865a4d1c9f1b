-- flags: none
-- POST tenants/<t>/track: { url, title, referrer }: the chat page or the
-- site widget reports a page its visitor views (R5.4), with the visitor's
-- (or customer's) token; it joins the customer's trajectory.  Only what
-- the page sends is kept; at most TRACK_RATE a minute a visitor (429) and
-- the newest TRAIL_MAX (lib/records.lua) a customer.

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local TRACK_RATE = 30

if ROLE ~= 'customer' then
    return fail(403, 'forbidden',
                'page views are reported by a visitor\'s page')
end
local t = hash(KEYS[1])
if not origin_ok(t) then return origin_refused() end
local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
for _, f in ipairs({ { 'url', 2000, true }, { 'referrer', 2000, false },
                     { 'title', 300, false } }) do
    local v = b[f[1]]
    if v == nil or v == cjson.null then
        if f[3] then return bad(f[1], 'is required') end
    elseif type(v) ~= 'string' or #v > f[2]
           or (f[1] ~= 'title' and v ~= ''
               and not string.match(v, '^https?://[^%s]+$')) then
        return bad(f[1], f[1] == 'title'
                         and 'must be a string of at most 300 bytes'
                         or 'must be an http(s) URL of at most 2000 bytes')
    end
end

local id = CUST.id(CUSTOMER)
local full = address_full('track', TRACK_RATE, id)
if full then return full end
address_count('track', TRACK_RATE, id)

local tk = key('cust', id, 'trail')
local seq = redis.call('HINCRBY', KEYS[1], 'trackseq', 1)
redis.call('ZADD', tk, NOW, cjson.encode({ n = seq, url = b.url,
                                           title = b.title or '',
                                           referrer = b.referrer or '' }))
redis.call('ZREMRANGEBYRANK', tk, 0, -(TRAIL_MAX + 1))
return reply(200, { tracked = true })
