# issue #4, R9.1 R9.2 R9.3: every endpoint checks token, tenant and role;
# logins check a PBKDF2 hash and give an expiring HMAC-signed token; a
# token of tenant A never reads or changes tenant B.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqWs;
use t::CsqApi;

redis_start();
api_nginx_start(log_level => 'debug');

my $p = setup_tenant('acme',
    queues => { sales => {} },
    agents => {
        alice => { queues => ['sales'], password => 'alice-pass-1' },
        sam   => { queues => ['sales'], role => 'supervisor',
                   password => 'sam-pass-12' },
        ada   => { role => 'admin', password => 'ada-pass-123' },
    });

setup_tenant('globex', queues => { support => {} },
             agents => { gail => { queues => ['support'] } });

my ($s, $j, $raw);

# --- login (R9.2)

($s, $j) = api(POST => 'tenants/acme/login',
               { agent => 'alice', password => 'alice-pass-1' });
is $s, 200, 'R9.2 login with the right password';
like $j->{token}, qr/^[\w-]+\.[\w-]{43}$/, 'R9.2 a signed token';
is $j->{role}, 'agent', 'R9.2 the role is in the answer';
cmp_ok $j->{expires}, '>', time + 3600, 'R9.2 the token expires, hours ahead';
my $alice = $j->{token};

($s, $j) = api(POST => 'tenants/acme/login',
               { agent => 'alice', password => 'wrong-pass-1' });
is $s, 401, 'R9.2 wrong password -> 401';
is $j->{error}{code}, 'bad_credentials', 'R9.2 bad_credentials';

($s, $j) = api(POST => 'tenants/acme/login',
               { agent => 'nobody', password => 'whatever-1' });
is $s, 401, 'R9.2 unknown agent -> the same 401';

($s, $j) = api(POST => 'tenants/globex/login',
               { agent => 'alice', password => 'alice-pass-1' });
is $s, 401, 'R9.3 an agent of acme cannot log in to globex';

($s, $j) = api(POST => 'tenants/acme/login', { agent => 'alice' });
is $s, 400, 'R9.2 login without a password -> 400';

my $sam = login_token('acme', 'sam', 'sam-pass-12');
my $ada = login_token('acme', 'ada', 'ada-pass-123');
my $gail = login_token('globex', 'gail');

# --- PBKDF2 runs in nginx's thread pool, never in the event loop

like nginx_error_log(), qr/task #\d+ added to thread pool "default"/,
    'R9.2 password work is posted to the "default" thread pool';

# --- the password is stored hashed, salted

my $stored = redis_cmd('HGET', 'csq:{acme}:a:alice', 'password');
like $stored, qr/^pbkdf2-sha256\$\d+\$[\w-]+\$[\w-]{43}$/,
    'R9.2 the password is stored as a PBKDF2 hash';
unlike $stored, qr/alice-pass-1/, 'R9.2 never in clear';

# --- tokens

($s, $j) = api(GET => 'tenants/acme/agents/alice');
is $s, 401, 'R9.1 no token -> 401';
is $j->{error}{code}, 'unauthorized', 'R9.1 unauthorized';

($s) = api(GET => 'tenants/acme/agents/alice', undef,
           token => csq_token('acme', 'alice', 'agent', 3600, 'x' x 20));
is $s, 401, 'R9.2 a token signed with another key -> 401';

($s) = api(GET => 'tenants/acme/agents/alice', undef,
           token => csq_token('acme', 'alice', 'agent', -10));
is $s, 401, 'R9.2 an expired token -> 401';

(my $forged = $alice) =~ s/^[\w-]+/YWNtZXxhbGljZXxhZG1pbnw5OTk5OTk5OTk5/;
($s) = api(GET => 'tenants/acme', undef, token => $forged);
is $s, 401, 'R9.2 a payload changed to admin -> 401';

($s) = api(GET => 'tenants/acme/agents/alice', undef, token => 'garbage');
is $s, 401, 'R9.2 garbage -> 401';

($s, $j) = api(GET => 'tenants/acme/agents/alice', undef, token => $alice);
is $s, 200, 'R9.1 an agent reads itself';

# ?token= is for socket handshakes only, not any request with an Upgrade
($s) = http_request(GET => "/api/tenants/acme/agents/alice?token=$alice",
                    undef, Upgrade => 'x', Connection => 'Upgrade');
is $s, 401, 'R9.2 ?token= on an API route, even with Upgrade -> 401';
my $ws = ws_open("/api/tenants/acme/agent/ws?token=$alice");
ok $ws, 'R9.2 ... while a socket handshake takes it' or diag ws_error();
$ws->close if $ws;

# --- tenants (R9.3)

for my $case (['GET', 'tenants/globex/agents/gail', undef],
              ['GET', 'tenants/globex/queues/support', undef],
              ['POST', 'tenants/globex/agents/gail/status',
               { status => 'offline' }],
              ['PUT', 'tenants/globex/agents/gail', { capacity => 99 }])
{
    for my $tok ([alice => $alice], [admin => $ada]) {
        ($s, $j) = api($case->[0], $case->[1], $case->[2],
                       token => $tok->[1]);
        is $s, 403, "R9.3 acme $tok->[0] on $case->[0] $case->[1] -> 403";
    }
}

($s, $j) = api(GET => 'tenants/globex/agents/gail', undef, token => $gail);
is $j->{capacity}, 5, 'R9.3 globex unchanged by acme tokens';
is $j->{status}, 'online', 'R9.3 globex status unchanged';

# --- roles (R9.1)

($s) = api(PUT => 'tenants/acme/agents/alice', { capacity => 50 },
           token => $alice);
is $s, 403, 'R2.1 an agent cannot set its own capacity (admin only)';
($s) = api(PUT => 'tenants/acme/agents/alice', { capacity => 50 },
           token => $sam);
is $s, 403, 'R2.1 nor can a supervisor';
($s, $j) = api(PUT => 'tenants/acme/agents/alice', { capacity => 3 },
               token => $ada);
is $j->{capacity}, 3, 'R2.1 an admin can';

($s) = api(PUT => 'tenants/acme/queues/new', {}, token => $alice);
is $s, 403, 'R9.1 an agent cannot change queues';
($s) = api(PUT => 'tenants/acme/queues/new', {}, token => $sam);
is $s, 403, 'R9.1 a supervisor cannot change queues';
($s) = api(PUT => 'tenants/acme/queues/new', {}, token => $ada);
is $s, 201, 'R9.1 an admin can';
($s) = api(PUT => 'tenants/acme', {}, token => $ada);
is $s, 403, 'R9.1 an admin cannot create tenants';
($s) = api(PUT => 'tenants/initech', {}, token => $ada);
is $s, 403, 'R9.1 nor another tenant';
($s) = api(PUT => 'tenants/initech', {}, token => $p);
is $s, 201, 'R9.1 the platform can';

($s, $j) = api(POST => 'tenants/acme/agents/alice/status',
               { status => 'suspended' }, token => $alice);
is $s, 200, 'R9.1 an agent sets its own status';
is $j->{status}, 'suspended', 'R9.1 and it is set';
($s) = api(POST => 'tenants/acme/agents/sam/status',
           { status => 'offline' }, token => $alice);
is $s, 403, "R9.1 an agent cannot set another's status";
($s) = api(POST => 'tenants/acme/agents/alice/status',
           { status => 'online' }, token => $sam);
is $s, 200, "R9.1 a supervisor can";
($s) = api(GET => 'tenants/acme/agents/sam/conversations', undef,
           token => $alice);
is $s, 403, "R9.1 an agent cannot list another's conversations";
($s) = api(GET => 'tenants/acme', undef, token => $sam);
is $s, 403, 'R9.1 a supervisor cannot read the tenant settings';

# --- an agent cannot end another agent's conversation

($s) = api(POST => 'tenants/acme/agents/sam/status', { status => 'offline' },
           token => $sam);
($s) = api(PUT => 'tenants/acme/agents/bea', { password => 'bea-pass-123' },
           token => $ada);
is $s, 201, 'an admin creates an agent';
my $bea = login_token('acme', 'bea', 'bea-pass-123');

# a password of the wrong size is refused and nothing is stored or checked
my $mark = nginx_error_log_size();
($s, $j) = api(PUT => 'tenants/acme/agents/cid', { password => 'short' },
               token => $ada);
is "$s " . ($j->{error}{code} // ''), '400 invalid_field',
    'R9.2 a password under 8 bytes -> 400';
is redis_cmd('EXISTS', 'csq:{acme}:a:cid'), 0, '... and no agent is made';
($s, $j) = api(POST => 'tenants/acme/login',
               { agent => 'bea', password => 'x' x 257 });
is "$s " . ($j->{error}{code} // ''), '400 invalid_field',
    'R9.2 a login with a password over 256 bytes -> 400';
unlike nginx_error_log($mark), qr/\[(?:alert|crit)\]|header already sent/,
    '... each answered once';

($s, $j) = api(POST => 'tenants/acme/conversations',
               { customer => 'u1', queue => 'sales' });
is $s, 201, 'arrival';
is $j->{agent}{id}, 'alice', 'assigned to alice, the only one online';
my $cid = $j->{id};

($s, $j) = api(POST => "tenants/acme/conversations/$cid/end", {},
               token => $bea);
is $s, 403, "R9.1 an agent cannot end another agent's conversation";
($s, $j) = api(GET => "tenants/acme/conversations/$cid", undef, token => $bea);
is $j->{state}, 'active', 'R9.1 and it stays active';
($s, $j) = api(POST => "tenants/acme/conversations/$cid/end", {},
               token => $alice);
is $s, 200, 'R9.1 its agent can';
is $j->{state}, 'ended', 'R9.1 ended';

# --- paths and methods

($s, $j) = api(GET => 'tenants/acme/nothing', undef, token => $p);
is $s, 404, 'unknown endpoint -> 404';
is $j->{error}{code}, 'not_found', 'not_found';
($s, $j) = api(DELETE => 'tenants/acme/login', undef);
is $s, 405, 'wrong method -> 405';
($s) = api(GET => 'tenants/ac%20me', undef, token => $p);
is $s, 404, 'an id with a space is no id -> 404';
($s) = api(GET => 'tenants/' . ('x' x 65), undef, token => $p);
is $s, 404, 'an id over 64 bytes -> 404';

# --- deleting a tenant (platform only) removes every key of it

($s) = api(DELETE => 'tenants/acme', undef, token => $ada);
is $s, 403, 'R9.4 an admin cannot delete its tenant';
($s, $j) = api(DELETE => 'tenants/globex', undef, token => $p);
is $s, 200, 'R9.4 the platform deletes a tenant';
cmp_ok $j->{keys}, '>', 3, 'R9.4 with its keys';
is_deeply redis_cmd('KEYS', 'csq:{globex}:*'), [], 'R9.4 no key of it is left';
is redis_cmd('SISMEMBER', 'csq:tenants', 'globex'), 0,
    'R9.4 and it is out of the registry';
($s) = api(POST => 'tenants/globex/login',
           { agent => 'gail', password => 'password1' });
is $s, 401, 'R9.4 its agents are gone';
($s, $j) = api(GET => 'tenants/acme/agents/alice', undef, token => $p);
is $s, 200, 'R9.4 other tenants are untouched';
($s) = api(DELETE => 'tenants/globex', undef, token => $p);
is $s, 404, 'R9.4 deleting it again -> 404';

unlike nginx_error_log(), qr/\[(?:error|alert|crit|emerg)\]/,
    'nothing logged as an error';

nginx_stop();
is valgrind_report(), '', 'valgrind: clean';

done_testing();
