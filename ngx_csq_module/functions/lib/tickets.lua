-- ngx_csq_module: tickets (R6.5, seeds 001 and 003), a part of the Redis
-- function library.  A ticket is a piece of work on a customer that
-- outlives a conversation or a call: a title, a description, a status
-- (open, pending, solved), a priority, an assignee, and its history:
-- comments and the changes of status, priority and assignee, oldest
-- first.
--   csq:{t}:tk:<id>            the ticket (hash); ids t<n> (tenant's tkseq)
--   csq:{t}:tk:<id>:log        its history (list of JSON entries:
--                              { kind: comment, author, at, text } or
--                              { kind: change, author, at, field, from,
--                              to }), TK.COMMENTS_MAX comments and
--                              TK.CHANGES_MAX changes at most
--   csq:{t}:tks                every ticket by its last update (zset)
--   csq:{t}:tks:a:<agent>      the same, one assignee's
--   csq:{t}:tks:s:<status>     the same, one status's
--   csq:{t}:cust:<c>:tickets   the same, one customer's (its records)
--   csq:{t}:tks:solved         solved tickets by when (retention.lua
--                              deletes them after ticket_retention_minutes)
-- At most the tenant's tickets_max (100,000) tickets.  Who may see one:
-- supervisors and admins all; an agent the tickets of the customers it
-- may see (CUST.visible), and those it made or is assigned.

-- the library's helpers of tickets, in one table (the library is one Lua
-- chunk, and a chunk has at most 200 locals: lib/ORDER)
local TK = { COMMENTS_MAX = 500, CHANGES_MAX = 500, MAX = 100000,
             STATUS = { open = true, pending = true, solved = true },
             PRIORITY = { low = true, normal = true, high = true,
                          urgent = true } }

-- ticket id's record with its id, or nil
function TK.get(id)
    return valid_id(id) and record(key('tk', id), id) or nil
end

-- ticket ID (the path's) when the caller may see it, or nil and the reply
function TK.find()
    if not tenant_exists() then
        return nil, fail(404, 'not_found', 'no such tenant')
    end
    local tk = TK.get(ID)
    if tk == nil then
        return nil, fail(404, 'not_found', 'no such ticket')
    end
    if not TK.visible(tk) then
        return nil, fail(403, 'forbidden',
                         'a ticket of a customer you may not see')
    end
    return tk
end

-- may the caller see ticket tk?  Its assignee and maker, and who may
-- see its customer (supervisors all)
function TK.visible(tk)
    if (ROLES[ROLE] or 0) >= ROLES.agent
       and (tk.assignee == ACTOR or tk.created_by == ACTOR) then
        return true
    end
    local c = CUST.get(CUST.id(tk.customer))
    if c == nil then
        return (ROLES[ROLE] or 0) >= ROLES.supervisor
    end
    return CUST.visible(c)
end

-- a ticket in a list (a customer's records, the tickets view, a frame)
function TK.view(tk)
    local cid = CUST.id(tk.customer)
    local name = redis.call('HGET', key('cust', cid), 'name')
    local opt = function(v) return (v or '') ~= '' and v or cjson.null end
    return { kind = 'ticket', id = tk.id, title = tk.title,
             status = tk.status, priority = tk.priority,
             assignee = opt(tk.assignee), customer = cid,
             customer_name = opt(name), conversation = opt(tk.conversation),
             call = opt(tk.call), created_by = tk.created_by,
             created = tonumber(tk.created), updated = tonumber(tk.updated),
             solved = tonumber(tk.solved) or cjson.null,
             comments = tonumber(tk.ncomments) or 0 }
end

-- the same with its description and history (GET tickets/<id>)
function TK.full(tk)
    local v = TK.view(tk)
    v.description = tk.description or ''
    local h = {}
    for i, e in ipairs(redis.call('LRANGE', key('tk', tk.id, 'log'), 0, -1)) do
        h[i] = cjson.decode(e)
    end
    v.history = arr(h)
    return v
end

-- the indexes of ticket tk as it is now (its updated time, assignee,
-- status, customer); old: the record before the change
function TK.index(tk, old)
    local id, at = tk.id, tonumber(tk.updated)
    if old then
        if (old.assignee or '') ~= '' then
            redis.call('ZREM', key('tks', 'a', old.assignee), id)
        end
        redis.call('ZREM', key('tks', 's', old.status), id)
    end
    redis.call('ZADD', key('tks'), at, id)
    redis.call('ZADD', key('tks', 's', tk.status), at, id)
    if (tk.assignee or '') ~= '' then
        redis.call('ZADD', key('tks', 'a', tk.assignee), at, id)
    end
    redis.call('ZADD', key('cust', CUST.id(tk.customer), 'tickets'), at, id)
    if tk.status == 'solved' then
        redis.call('ZADD', key('tks', 'solved'), tonumber(tk.solved), id)
    else
        redis.call('ZREM', key('tks', 'solved'), id)
    end
end

-- ticket id goes, with its history and its places in the indexes
function TK.drop(id)
    local tk = TK.get(id)
    if tk == nil then return end
    redis.call('ZREM', key('tks'), id)
    redis.call('ZREM', key('tks', 's', tk.status), id)
    redis.call('ZREM', key('tks', 'solved'), id)
    if (tk.assignee or '') ~= '' then
        redis.call('ZREM', key('tks', 'a', tk.assignee), id)
    end
    redis.call('ZREM', key('cust', CUST.id(tk.customer), 'tickets'), id)
    redis.call('UNLINK', key('tk', id), key('tk', id, 'log'))
end

-- the fields body b gives (a POST's or a PUT's), checked: title,
-- description, status, priority, and assignee ('' for null: none; an
-- agent of the tenant); or nil and the 400
function TK.check(b)
    local f, err = fields(b, { { 'title', 'string', 200 },
                               { 'description', 'string', 10000 },
                               { 'status', 'enum', TK.STATUS },
                               { 'priority', 'enum', TK.PRIORITY } })
    if err then return nil, err end
    if f.title == '' then
        return nil, bad('title', 'must be a string of 1-200 bytes')
    end
    local a = b.assignee
    if a == cjson.null or a == '' then
        f.assignee = ''
    elseif a ~= nil then
        if not valid_id(a)
           or redis.call('SISMEMBER', key('agents'), a) == 0 then
            return nil, bad('assignee', 'must name an agent of the tenant '
                            .. 'or be null')
        end
        f.assignee = a
    end
    return f
end

-- appends entry e (by the caller, now) to ticket id's history
function TK.log(id, e)
    e.author, e.at = ACTOR, NOW
    redis.call('RPUSH', key('tk', id, 'log'), cjson.encode(e))
end

-- tells the assignee of ticket tk (not the caller) what happened to it:
-- a 'ticket' frame on its agent channel (its workbench's sockets)
function TK.tell(tk, what, comment)
    local aid = tk.assignee or ''
    if aid == '' or aid == ACTOR then return end
    live('a', aid, { type = 'ticket', event = what, by = ACTOR,
                     ticket = TK.view(tk), comment = comment })
end

-- customer records (R6.5): the customer's tickets, by their last update
TL.SOURCES.tickets = function(id, before, n)
    local out = {}
    local read, full, last = TL.read(key('cust', id, 'tickets'), before, n)
    for i = 1, #read, 2 do
        local tk = TK.get(read[i])
        if tk and TK.visible(tk) then
            out[#out + 1] = { at = tonumber(read[i + 1]), item = TK.view(tk) }
        end
    end
    return out, full, last
end
