-- flags: no-writes
-- the registry of tenants, for the periodic tick of every worker
-- KEYS[1] csq:tenants; returns the tenant ids

return redis.call('SMEMBERS', KEYS[1])
