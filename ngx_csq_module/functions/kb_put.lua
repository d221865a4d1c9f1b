-- flags: none
-- PUT tenants/<t>/kb/<id>: an article of the knowledge base (supervisor,
-- R4.10): { title (1-200 bytes), body (1-20,000), category (64),
-- external (true: customers may read it too) }; at most 1,000 articles
-- (409 too_many_articles)

local b, err = put_prologue()
if err then return err end
if ID == 'public' then return bad('id', 'must not be "public"') end
local f
f, err = fields(b, { { 'title', 'string', 200 }, { 'body', 'string', 20000 },
                     { 'category', 'string', 64 }, { 'external', 'bool' } })
if err then return err end
if (f.title or '') == '' then return bad('title', 'is required') end
if (f.body or '') == '' then return bad('body', 'is required') end

local rk = key('kb', 'r')
local new = redis.call('HEXISTS', rk, ID) == 0
if new and redis.call('HLEN', rk) >= KB.MAX then
    return fail(409, 'too_many_articles', 'at most ' .. KB.MAX .. ' articles')
end
local a = { id = ID, title = f.title, body = f.body,
            category = f.category or '', external = f.external == '1',
            updated = NOW }
redis.call('HSET', rk, ID, cjson.encode(a))
redis.call('ZADD', key('kb'), NOW, ID)
if a.external then
    redis.call('ZADD', key('kb', 'ext'), NOW, ID)
else
    redis.call('ZREM', key('kb', 'ext'), ID)
end
event('article', { article = ID })
return reply(new and 201 or 200, a)
