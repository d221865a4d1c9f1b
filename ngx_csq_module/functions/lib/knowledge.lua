-- ngx_csq_module: the knowledge base (R4.10), a part of the Redis function
-- library: articles for the agents (internal) and for customers too
-- (external: the chat page's FAQ bar lists them, an agent shares one into
-- a chat as a card), in categories, found by words.
--   csq:{t}:kb      zset: article id -> when it last changed
--   csq:{t}:kb:ext  the same, the external ones (the public list)
--   csq:{t}:kb:r    hash: article id -> JSON { id, title, body, category,
--                   external, updated }
-- At most KB.MAX articles of at most 20,000 bytes: a search reads them all
-- (bounded), newest first.

local KB = { MAX = 1000 }

-- the articles that have every word of q (any case) in their title, body
-- or category, newest first: those of category (if given), external only
-- when external_only; at most n, each without its body but an excerpt
function KB.list(q, category, external_only, n)
    local has = words_matcher(q)
    local out = items_of(redis.call('ZREVRANGE', external_only
                                    and key('kb', 'ext') or key('kb'), 0, -1),
                         key('kb', 'r'), function(a)
        return (not external_only or a.external)
               and (category == nil or category == ''
                    or a.category == category)
               and has(a.title .. ' ' .. a.body .. ' ' .. a.category)
    end, n)
    for _, a in ipairs(out) do
        -- 200 bytes, not cutting a UTF-8 character
        a.excerpt = string.gsub(string.sub(a.body, 1, 200),
                                '[\192-\255][\128-\191]*$', '')
        a.body = nil
    end
    return out
end

-- article id, or nil (HGET of none is false in Lua: not an article)
function KB.get(id)
    local raw = redis.call('HGET', key('kb', 'r'), id)
    if not raw then return nil end
    return cjson.decode(raw)
end
