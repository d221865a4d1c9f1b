-- flags: none
-- One more step of indexing for search (search.lua), made by the tick's
-- nginx when the step before was full (ngx_csq_tick.c).
-- Returns { indexed, more to index (1: this step was full too), tenant }.

if not tenant_exists() then return { 0, 0, TENANT } end

local indexed = search_step()
return { indexed, indexed >= SEARCH_STEP and 1 or 0, TENANT }
