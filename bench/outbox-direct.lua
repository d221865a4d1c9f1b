-- wrk's script for bench/outbox.sh's "direct" run: POSTs to the receiver
-- through nginx's proxy_pass, each with its own Idempotency-Key and, in
-- its text, the run, a number and the send time on CLOCK_MONOTONIC (us),
-- as the receiver reads them (outbox-load.js rx).  RUN (env): the run's
-- name; RATE (env, optional): POSTs a second, each on the next slot of a
-- fixed schedule (open loop while a connection is free for it).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } csq_ts_t;
int clock_gettime(int clk, csq_ts_t *ts);
]]

local ts = ffi.new("csq_ts_t")
local run = os.getenv("RUN") or "d"
local pad = string.rep("x", 40)
local n = 0
local rate = tonumber(os.getenv("RATE") or "")
local slot

local function now_us()
    ffi.C.clock_gettime(1, ts)
    return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec)
                                                      / 1000)
end

request = function()
    n = n + 1
    local body = string.format('{"type":"message","tenant":"bench",'
        .. '"channel":"wx","user":"u0","conversation":"direct","entry":"%d",'
        .. '"kind":"text","text":"b %s %d %d %s"}', n, run, n, now_us(), pad)
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "direct:" .. run .. ":" .. n }, body)
end

if rate then
    delay = function()
        local t = now_us()
        slot = (slot or t) + 1000000 / rate
        return math.max(0, math.floor((slot - t) / 1000))
    end
end
