-- ngx_csq_module: the phone (R7.1-R7.3, R7.5), a part of the Redis
-- function library.
--
-- The tenant's telephony system is a channel of type "phone"
-- (channels.lua): it posts call events to the channel's webhook, signed
-- like any channel's (channel_inbound.lua), and takes outbound-call
-- requests (a callback) at the channel's url through the outbox
-- (outbox.lua).  The SMS gateway is a channel of type "sms": texts made
-- from the tenant's templates go to its url the same way.
--
-- csq:{t}:call:<id>        a call: channel, direction (inbound,
--                          outbound), number (the customer's side),
--                          line (the tenant's side), extension, agent,
--                          customer, state (ringing, answered, ended),
--                          rang, answered, ended (ms), duration (s),
--                          result (answered, missed, no_answer, or the
--                          system's word), recording, note, by (who
--                          changed the note or the customer)
-- csq:{t}:calls            calls by when they rang (retention.lua)
-- csq:{t}:cust:<c>:calls   a customer's calls (records.lua)
-- csq:{t}:cust:<c>:sms     a customer's texts, JSON (records.lua)
-- csq:{t}:ext              extension -> agent (an agent binds one)
-- csq:{t}:sms:tpl:<id>     an SMS template: name, text ({{name}} ...)
-- csq:{t}:sms:tpls         the templates (at most CALL.TPL_MAX)
--
-- A ringing call pops up on the workbench of the agent its extension is
-- bound to (a "call" frame on the agent's channel: the call, and the
-- customer its number belongs to, or none: a new-customer form); every
-- later event of the call updates it.  An inbound call that ends without
-- an answer is a lost call: it joins the callback list (followup.lua).

local CALL = { TPL_MAX = 200, EVENTS = { ringing = true, answered = true,
               hungup = true }, DIRECTIONS = { inbound = true,
               outbound = true }, RATE = 30 }

function CALL.get(id)
    return valid_id(id) and record(key('call', id), id) or nil
end

function CALL.view(c)
    return { kind = 'call', id = c.id, channel = c.channel,
             direction = c.direction, number = c.number or '',
             line = c.line or '', extension = c.extension or '',
             agent = (c.agent or '') ~= '' and c.agent or cjson.null,
             customer = (c.customer or '') ~= '' and c.customer
                        or cjson.null,
             state = c.state, rang = tonumber(c.rang),
             answered = tonumber(c.answered), ended = tonumber(c.ended),
             duration = tonumber(c.duration), result = c.result,
             recording = c.recording, note = c.note or '',
             callback_of = c.callback_of }
end

-- the customer a phone number belongs to (its record's id), or nil
function CALL.customer_of(number)
    local p = norm_phone(number)
    return p and redis.call('HGET', key('ident'), 'p:' .. p) or nil
end

-- the library's customer a body names (its id or a contact id) that the
-- caller may see; or nil and the 404
function CALL.customer_arg(id)
    local cust = valid_id(id) and CUST.get(CUST.id(id))
    if not cust or not CUST.visible(cust) then
        return nil, fail(404, 'not_found', 'no such customer')
    end
    return cust
end

-- call id is customer rid's (or nobody's: rid nil)
function CALL.link(c, rid)
    if (c.customer or '') ~= '' then
        redis.call('ZREM', key('cust', c.customer, 'calls'), c.id)
    end
    c.customer = rid or ''
    redis.call('HSET', key('call', c.id), 'customer', c.customer)
    if rid then
        redis.call('ZADD', key('cust', rid, 'calls'), tonumber(c.rang), c.id)
    end
end

-- the frame that pops the call up (or updates it) on agent aid's sockets
function CALL.tell(c, aid)
    if not aid or aid == '' then
        return
    end
    local cust = (c.customer or '') ~= '' and CUST.get(c.customer)
    live('a', aid, { type = 'call', call = CALL.view(c),
                     customer = cust and CUST.view(cust) or cjson.null })
end

-- a call event e (checked) of phone channel ch; returns the call's view
function CALL.event(ch, e)
    local k = key('call', e.id)
    local c = CALL.get(e.id)
    local new = c == nil
    local at = NOW
    if new then
        local number = e.direction == 'inbound' and e.from or e.to
        c = { id = e.id, channel = ch.id, direction = e.direction,
              number = number or '', line = (e.direction == 'inbound'
                                             and e.to or e.from) or '',
              state = 'ringing', rang = at }
        redis.call('HSET', k, 'id', c.id, 'channel', c.channel,
                   'direction', c.direction, 'number', c.number,
                   'line', c.line, 'state', 'ringing', 'rang', at)
        redis.call('ZADD', key('calls'), at, c.id)        -- retention.lua
        CALL.link(c, CALL.customer_of(c.number))
    end
    if e.extension and e.extension ~= '' then
        local aid = redis.call('HGET', key('ext'), e.extension)
        if aid and aid ~= c.agent then
            c.agent, c.extension = aid, e.extension
            redis.call('HSET', k, 'agent', aid, 'extension', e.extension)
        end
    end
    if e.recording then
        c.recording = e.recording
        redis.call('HSET', k, 'recording', e.recording)
    end
    if e.event == 'answered' and c.state == 'ringing' then
        c.state, c.answered = 'answered', at
        redis.call('HSET', k, 'state', 'answered', 'answered', at)
    elseif e.event == 'hungup' and c.state ~= 'ended' then
        local answered = tonumber(c.answered)
        c.state, c.ended = 'ended', at
        c.duration = answered and math.floor((at - answered) / 1000) or 0
        c.result = e.result or (answered and 'answered'
                                or (c.direction == 'inbound' and 'missed'
                                    or 'no_answer'))
        redis.call('HSET', k, 'state', 'ended', 'ended', at,
                   'duration', c.duration, 'result', c.result)
        -- R7.5: a lost call, for a callback
        if c.direction == 'inbound' and not answered then
            FU.callback_add('call', c.id, { customer = c.customer,
                            agent = c.agent,
                            waited = at - tonumber(c.rang), at = at })
        end
    end
    if c.agent then
        CALL.tell(c, c.agent)
    end
    event('call', { call = c.id, state = c.state, agent = c.agent or '' })
    return CALL.view(c), new
end

-- a call and what hangs on it go (retention)
function CALL.drop(id)
    local c = CALL.get(id)
    if c and (c.customer or '') ~= '' then
        redis.call('ZREM', key('cust', c.customer, 'calls'), id)
    end
    redis.call('UNLINK', key('call', id))
    FU.callback_drop('call.' .. id)                     -- followup.lua
end

-- the tenant's channel of a type ('phone', 'sms'), on and with a url: the
-- one named, or the first of the type; or nil and the error
function CALL.channel(typ, named)
    local ids = named and { named } or redis.call('SMEMBERS', key('chs'))
    table.sort(ids)
    for _, id in ipairs(ids) do
        local ch = CH.get(id)
        if ch and ch.type == typ and ch.enabled ~= '0'
           and (ch.url or '') ~= '' then
            return ch
        end
    end
    return nil, fail(409, 'no_' .. typ .. '_channel', 'the tenant has no '
                     .. typ .. ' channel turned on with a url')
end

-- an SMS template's text with its {{variables}} filled in from vars;
-- nil and the missing one's name when one has no value
function CALL.render(text, vars)
    local missing
    local out = string.gsub(text, '{{%s*([%w_]+)%s*}}', function(n)
        local v = vars[n]
        if v == nil or v == cjson.null then
            missing = missing or n
            return ''
        end
        return tostring(v)
    end)
    if missing then
        return nil, missing
    end
    return out
end
