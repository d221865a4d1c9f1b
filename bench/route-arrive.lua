-- wrk script for bench/route.sh: every request is a new customer arriving
-- in one of the tenant's queues (env TENANT, QUEUES: q1 .. qN), so every
-- request is one routing decision

local counter = 0
local thread_id = 0
local tenant = os.getenv("TENANT") or "bench"
local queues = tonumber(os.getenv("QUEUES") or "4")

function setup(thread)
    thread_id = thread_id + 1
    thread:set("tid", thread_id)
end

function request()
    counter = counter + 1
    local body = string.format(
        '{"customer":"b%d-%d","queue":"q%d"}',
        tid or 0, counter, counter % queues + 1)
    return wrk.format("POST", "/api/tenants/" .. tenant .. "/conversations",
                      { ["Content-Type"] = "application/json" }, body)
end
