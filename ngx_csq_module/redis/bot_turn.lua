-- The robot's turn (R4.1, R4.2): a customer's text (EXTRA) in
-- conversation ID, which the robot serves, just stored by ws_send.lua:
-- a hand-off keyword moves it to human routing, else the keyword rules
-- answer.  Returns { 200, '{}' }.

local c = hash(key('c', ID))
if c == nil or c.state ~= 'bot' then
    return { 200, '{}' }         -- a person took it meanwhile
end

bot_turn(ID, c, EXTRA)
return { 200, '{}' }
