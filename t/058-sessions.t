# issue #11 §1 (R9.5): sessions that can be revoked.  A login opens a
# session of the agent (lib/sessions.lua); its token names it, and every
# call checks, in the same Redis function call, that the session is there
# and that the agent still has at least the token's role.  A logout ends
# this device's session, logout-all every one of the caller, an admin's
# agents/<id>/logout every one of an agent; a new password, a lower role
# and the agent's delete end them all.  Open agent sockets of an ended
# session close with 1008 within a second on every node; a platform token
# holds while its generation is csq_platform_generation.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
my $port_a = api_nginx_start(workers => 2, log_level => 'info',
                             conf => "location /short/ { csq_api; "
                                     . "csq_ws_ping 300ms; }\n");
my ($port_b) = nginx_twin('sessions-b');

setup_tenant('acme', queues => { q => {} },
             agents => { alice => { queues => ['q'] },
                         bob => { queues => ['q'] },
                         boss => { queues => ['q'], role => 'admin' } });

my $p = platform_token();

sub get_agent {
    my ($who, $token, %o) = @_;
    my ($s, $j) = api(GET => "tenants/acme/agents/$who", undef,
                      token => $token, %o);
    return wantarray ? ($s, $j) : $s;
}

sub sessions { return redis_cmd('ZCARD', "csq:{acme}:a:$_[0]:sessions") }

# --- a login opens a session; its token names it

my $t1 = login_token('acme', 'alice');
is get_agent('alice', $t1), 200, 'R9.5 a login token works';
is sessions('alice'), 1, '... and opened one session of alice';
my $ttl = redis_cmd('PTTL', 'csq:{acme}:a:alice:sessions');
ok $ttl > 11 * 3600 * 1000 && $ttl <= 12 * 3600 * 1000,
   '... the sessions expire with the last token (12 h)' or diag $ttl;

# a token signed with the secret but naming no session (the old format,
# or a made-up one) is refused by the library
for my $tk (csq_token('acme', 'alice', 'agent'),
            csq_token('acme', 'alice', 'agent', 3600, undef, 'made-up')) {
    my ($s, $j) = api(GET => 'tenants/acme/agents/alice', undef, token => $tk);
    is $s, 401, 'R9.5 a signed token without a live session: 401';
    is $j->{error}{code}, 'session_ended', '... session_ended';
}

# --- the review's case: a demoted admin keeps no admin rights

my $boss = login_token('acme', 'boss');
my ($s, $j) = api(PUT => 'tenants/acme/agents/tmp1',
                  { password => 'password1' }, token => $boss);
is $s, 201, 'an admin creates an agent';
($s) = api(PUT => 'tenants/acme/agents/boss', { role => 'agent' },
           token => $p);
is $s, 200, 'the platform demotes the admin to agent';
($s, $j) = api(PUT => 'tenants/acme/agents/evil',
               { password => 'password1', role => 'admin' }, token => $boss);
is $s, 401, 'R9.5 the demoted admin\'s old token creates no admin';
is $j->{error}{code}, 'session_ended', '... session_ended';
is redis_cmd('EXISTS', 'csq:{acme}:a:evil'), 0, '... nothing was stored';
is get_agent('boss', $boss), 401, '... nor reads anything';
my $boss2 = login_token('acme', 'boss');
($s, $j) = api(POST => 'tenants/acme/login',
               { agent => 'boss', password => 'password1' });
is $j->{role}, 'agent', 'a new login of boss is an agent\'s';
($s) = api(PUT => 'tenants/acme/agents/evil',
           { password => 'password1' }, token => $boss2);
is $s, 403, '... which may not create agents';
($s) = api(DELETE => 'tenants/acme/agents/boss', undef, token => $p);
is $s, 200, 'boss is deleted';
is get_agent('alice', $boss2), 401, 'R9.5 a deleted agent\'s token: 401';
is sessions('boss'), 0, '... its sessions are gone';
($s) = api(POST => 'tenants/acme/login',
           { agent => 'boss', password => 'password1' });
is $s, 401, '... and it cannot log in';

# --- a higher role keeps the lower token working

($s) = api(PUT => 'tenants/acme/agents/bob', { role => 'supervisor' },
           token => $p);
my $bob = login_token('acme', 'bob');
($s) = api(PUT => 'tenants/acme/agents/bob', { role => 'admin' },
           token => $p);
is get_agent('bob', $bob), 200,
   'a promotion keeps the token of the lower role';
($s) = api(GET => 'tenants/acme/agents', undef, token => $bob);
is $s, 200, '... with that role\'s rights';
($s) = api(PUT => 'tenants/acme/agents/tmp2', { password => 'password1' },
           token => $bob);
is $s, 403, '... and no more';

# --- logout: this device; logout-all: every one

my $t2 = login_token('acme', 'alice');
is sessions('alice'), 2, 'alice has two sessions';
($s, $j) = api(POST => 'tenants/acme/logout', undef, token => $t1);
is $s, 200, 'R9.5 POST logout';
is $j->{ended}, 1, '... ends one session';
is get_agent('alice', $t1), 401, '... this device\'s token is refused';
is get_agent('alice', $t2), 200, '... the other device\'s still works';
($s) = api(POST => 'tenants/acme/logout', undef, token => $t1);
is $s, 401, 'a second logout with it: 401';

my $t3 = login_token('acme', 'alice');
($s, $j) = api(POST => 'tenants/acme/logout-all', undef, token => $t2);
is $s, 200, 'R9.5 POST logout-all';
is $j->{ended}, 2, '... ends both sessions';
is get_agent('alice', $t2), 401, '... the caller\'s token is refused';
is get_agent('alice', $t3), 401, '... and the other device\'s';
is sessions('alice'), 0, '... none left';

# an admin ends an agent's sessions; an agent only its own

my $ta = login_token('acme', 'alice');
my $tb = login_token('acme', 'bob');
($s) = api(POST => 'tenants/acme/agents/bob/logout', undef, token => $ta);
is $s, 403, 'an agent may not end another agent\'s sessions';
($s, $j) = api(POST => 'tenants/acme/agents/alice/logout', undef,
               token => $tb);
is $s, 200, 'R9.5 an admin ends an agent\'s sessions';
is get_agent('alice', $ta), 401, '... its token is refused';
$ta = login_token('acme', 'alice');
($s) = api(POST => 'tenants/acme/agents/alice/logout', undef, token => $ta);
is $s, 200, 'an agent ends its own sessions that way too';
is get_agent('alice', $ta), 401, '... its token is refused';
($s, $j) = api(POST => 'tenants/acme/logout', undef, token => $p);
is $s, 400, 'a platform token has no session to end: 400';
is $j->{error}{code}, 'no_session', '... no_session';

# --- a new password ends every session

$ta = login_token('acme', 'alice');
my $ta2 = login_token('acme', 'alice');
($s) = api(PUT => 'tenants/acme/agents/alice', { password => 'password2' },
           token => $p);
is $s, 200, 'alice gets a new password';
is get_agent('alice', $ta), 401, 'R9.5 her tokens are refused';
is get_agent('alice', $ta2), 401, '... every one';
$ta = login_token('acme', 'alice', 'password2');
is get_agent('alice', $ta), 200, 'a login with the new password works';
($s) = api(PUT => 'tenants/acme/agents/alice', { capacity => 3 },
           token => $p);
is get_agent('alice', $ta), 200, 'other changes keep her sessions';

# --- sockets of an ended session close on every node, within a second

$ta = login_token('acme', 'alice', 'password2');
$ta2 = login_token('acme', 'alice', 'password2');
my $path = "/api/tenants/acme/agent/ws?token=";
my %ws;
for my $k ('a1', 'b1', 'a2', 'b2') {
    my $tk = $k =~ /1/ ? $ta : $ta2;
    $ws{$k} = ws_open("$path$tk", port => $k =~ /a/ ? $port_a : $port_b)
        or diag ws_error();
    ok $ws{$k} && $ws{$k}->wait_json(sub { $_[0]{type} eq 'hello' }),
       "socket $k opens";
}

sub closed_within {
    my ($ws, $secs) = @_;
    my $t0 = time;
    $ws->next_json($secs) while !$ws->{closed} && time - $t0 < $secs;
    return $ws->{closed} ? $ws->close_code : undef;
}

($s) = api(POST => 'tenants/acme/logout', undef, token => $ta);
is closed_within($ws{a1}, 1), 1008,
   'R9.5 logout: this session\'s socket on this node closes 1008 in 1 s';
is closed_within($ws{b1}, 1), 1008, '... and on the other node';
like $ws{b1}{close_frame} // '', qr/session ended/, '... "session ended"';
is closed_within($ws{a2}, 0.5), undef,
   '... the other session\'s sockets stay open';
ok !$ws{b2}{closed}, '... on both nodes';
($s) = api(PUT => 'tenants/acme/agents/alice', { role => 'agent',
                                                password => 'password3' },
           token => $p);
is closed_within($ws{a2}, 1), 1008,
   'R9.5 a new password closes every socket of the agent';
is closed_within($ws{b2}, 1), 1008, '... on the other node too';

($s) = ws_open("$path$ta2", port => $port_a);
ok !$s, 'a socket of an ended session is refused at the handshake';
like ws_error() // '', qr/^401 .*session_ended/, '... 401 session_ended';

# a missed "R" (Redis lost it, another build) is caught by the next call:
# a frame gets the error, then the socket closes
$ta = login_token('acme', 'alice', 'password3');
my $ws = ws_open("$path$ta", port => $port_b);
ok $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }), 'a socket opens';
redis_cmd('DEL', 'csq:{acme}:a:alice:sessions');
$ws->send_json({ type => 'typing', conversation => 'x', typing => \1,
                 ref => 'r1' });
my $e = $ws->wait_json(sub { $_[0]{type} eq 'error' }, 2);
is $e && $e->{error}{code}, 'session_ended',
   'R9.5 a frame of an ended session gets session_ended';
is closed_within($ws, 1), 1008, '... and the socket closes 1008';

# ... and by the keepalive's renewal when the socket says nothing
$ta = login_token('acme', 'alice', 'password3');
$ws = ws_open("/short/tenants/acme/agent/ws?token=$ta");
ok $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }),
   'a socket with a 300 ms keepalive opens';
redis_cmd('DEL', 'csq:{acme}:a:alice:sessions');
is closed_within($ws, 2), 1008,
   'R9.5 its next renewal finds the session ended: 1008';

# --- at most 50 sessions an agent: the oldest goes

my $first = login_token('acme', 'bob');
login_token('acme', 'bob') for 1 .. 50;
is sessions('bob'), 50, 'R9.5 51 logins leave 50 sessions';
is get_agent('bob', $first), 401, '... the first one ended';

# --- platform tokens: csq_platform_generation

is get_agent('bob', csq_token('*', '', 'platform', 3600, undef, '0')), 200,
   'a platform token of generation 0 works by default';
ok nginx_reload(http_config =>
                    api_http_config("csq_platform_generation 3;\n")),
   'reload with csq_platform_generation 3';
($s, $j) = api(GET => 'tenants/acme/agents/bob', undef, token => $p);
is $s, 401, 'R9.5 the old platform tokens are refused';
is $j->{error}{message}, 'the token is invalid, expired or revoked',
   '... invalid, expired or revoked';
is get_agent('bob', csq_token('*', '', 'platform', 3600, undef, '3')), 200,
   '... one of generation 3 works';

done_testing();
