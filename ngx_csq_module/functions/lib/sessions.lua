-- ngx_csq_module: agents' sessions (R9.5).  A login opens a session: a
-- member of the agent's sorted set a:<id>:sessions, scored with the unix
-- ms its token expires at; the token carries the member and every call
-- checks it (session_ok() in common.lua).  An agent keeps at most
-- SESSIONS_MAX sessions (a new login ends the one that would end first);
-- ended ones leave the set, and the set expires with its last session.
-- Ending a session tells the agent's sockets on every node: "R <session>"
-- (or "R *", all of them) on the agent's channel closes those of it.

local SESSIONS_MAX = 50

-- ends session sid of agent aid (nil: every one) and closes its sockets;
-- returns how many ended
local function session_end(aid, sid)
    local k = key('a', aid, 'sessions')
    local n
    if sid then
        n = redis.call('ZREM', k, sid)
    else
        n = redis.call('ZCOUNT', k, '(' .. NOW, '+inf')
        redis.call('DEL', k)
    end
    redis.call('PUBLISH', chan('a', aid), 'R ' .. (sid or '*'))
    return n
end
