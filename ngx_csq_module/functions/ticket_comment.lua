-- flags: none
-- POST tenants/<t>/tickets/<id>/comments: { text } (1-5,000 bytes): a
-- comment on a ticket the caller may see (R6.5), at most TK.COMMENTS_MAX
-- (500) a ticket (409 too_many_comments).  The assignee, when not the
-- caller, gets a 'ticket' frame (event comment, with the comment).
-- -> 201 the comment { kind: comment, author, at, text }

local tk, err = TK.find()
if err then return err end
local b = body()
if b == nil then return bad('body', 'must be a JSON object') end
if type(b.text) ~= 'string' or #b.text < 1 or #b.text > 5000 then
    return bad('text', 'must be a string of 1-5000 bytes')
end
if (tonumber(tk.ncomments) or 0) >= TK.COMMENTS_MAX then
    return fail(409, 'too_many_comments', 'this ticket has '
                .. TK.COMMENTS_MAX .. ' comments: no more can be added')
end

local e = { kind = 'comment', text = b.text }
TK.log(tk.id, e)
tk.ncomments = tostring((tonumber(tk.ncomments) or 0) + 1)
tk.updated = tostring(NOW)
redis.call('HSET', key('tk', tk.id), 'ncomments', tk.ncomments,
           'updated', tk.updated)
TK.index(tk)
TK.tell(tk, 'comment', e)
return reply(201, e)
