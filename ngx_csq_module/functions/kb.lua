-- flags: no-writes
-- GET tenants/<t>/kb?q=&category=: the knowledge base (R4.10), newest
-- first, articles with every word of q, at most 100, each with an excerpt
-- (agents: all; EXTRA 'public', GET .../kb/public?q= for the chat page:
-- the external ones only, at most 20, for anyone the tenant's origins
-- let in)

if not tenant_exists() then return fail(404, 'not_found', 'no such tenant') end
local public = EXTRA == 'public'
if public and not origin_ok(hash(KEYS[1])) then return origin_refused() end
local qs = query(ARGV[5])
if qs.q and #qs.q > 200 then return bad('q', 'must be at most 200 bytes') end
return reply(200, { articles = arr(KB.list(qs.q, qs.category, public,
                                           public and 20 or 100)) })
