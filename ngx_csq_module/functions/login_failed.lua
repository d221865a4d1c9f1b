-- flags: allow-oom
-- A failed login (R9.2): counted for the client's address (EXTRA) and for
-- the agent id tried (ID), each over a window of 15 minutes.  Past 5
-- failures an address waits 1, 2, 4 ... seconds (at most 5 minutes)
-- before its next try; past 10 an agent id waits the same way but at most
-- 30 seconds, so that one who guesses from many addresses cannot keep the
-- real agent out for long.  Every key here expires by itself.
-- Returns { 200, '{}' }.

local WINDOW = 15 * 60000

local function count(kind, id, free, cap)
    local k = key('lf', kind, id)
    local n = redis.call('INCR', k)
    redis.call('PEXPIRE', k, WINDOW)
    if n > free then
        local ms = math.min(1000 * 2 ^ math.min(n - free - 1, 20), cap)
        redis.call('SET', key('lock', kind, id), '1', 'PX', ms)
    end
end

if EXTRA and EXTRA ~= '' then
    count('ip', EXTRA, 5, 300000)
end
if valid_id(ID) then
    count('a', ID, 10, 30000)
end
return { 200, '{}' }
