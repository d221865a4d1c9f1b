# issue #11 §5: bad nested input gets 400 naming the field, never a 503
# redis_error, and nothing of it is stored (R9.6); an object where an
# array belongs is refused (Redis' Lua reads {} and [] alike, which once
# turned an origin allowlist off); a schedule with no slot is refused; a
# sync after an id beyond 64 bits is an error frame, the socket lives on;
# every 405 of the API says what the path takes (Allow); CSV exports
# defuse what a spreadsheet takes as a formula, TAB and CR included.

use strict;
use warnings;

use JSON::PP ();
use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info');

my $P = setup_tenant('acme',
    tenant => { origins => ['https://shop.example'] },
    queues => { q => {} },
    agents => { alice => { queues => ['q'], role => 'admin' } },
    fallback => 'q');

# every key of the tenant with its DUMP: what "unchanged" means
sub snapshot {
    my $keys = redis_cmd('KEYS', 'csq:{acme}:*');
    return join "\n", map { $_ . '=' . unpack('H*', redis_cmd('DUMP', $_)) }
                      grep { !/:events$/ } sort @$keys;
}

my @bad = (
    [ PUT => 'tenants/acme', { origins => {} }, 'origins' ],
    [ PUT => 'tenants/acme', { origins => { a => 'https://x.example' } },
      'origins' ],
    [ PUT => 'tenants/acme', { faq_links => {} }, 'faq_links' ],
    [ PUT => 'tenants/acme/queues/q', { welcome_slots => {} },
      'welcome_slots' ],
    [ PUT => 'tenants/acme/queues/q', { welcome_slots => [1] },
      'welcome_slots' ],
    [ PUT => 'tenants/acme/queues/q', { welcome_slots => [undef] },
      'welcome_slots' ],
    [ PUT => 'tenants/acme/queues/q',
      { welcome_slots => [JSON::PP::true()] }, 'welcome_slots' ],
    [ PUT => 'tenants/acme/queues/q', { handoff_keywords => {} },
      'handoff_keywords' ],
    [ PUT => 'tenants/acme/queues/q', { schedule => { slots => {} } },
      'schedule.slots' ],
    [ PUT => 'tenants/acme/queues/q', { schedule => { slots => [1] } },
      'schedule' ],
    [ PUT => 'tenants/acme/queues/q', { schedule => { slots => [] } },
      'schedule' ],
    [ PUT => 'tenants/acme/agents/alice', { queues => {} }, 'queues' ],
    [ PUT => 'tenants/acme/rules', { rules => {} }, 'rules' ],
    [ PUT => 'tenants/acme/rules', { rules => [1] }, 'rules' ],
    [ PUT => 'tenants/acme/keywords', { rules => {} }, 'rules' ],
    [ PUT => 'tenants/acme/keywords', { rules => [1] }, 'rules' ],
    [ PUT => 'tenants/acme/keywords', { rules => [undef] }, 'rules' ],
);

my $mark = nginx_error_log_size();
for my $b (@bad) {
    my ($method, $path, $body, $field) = @$b;
    my $what = "$method $path " . JSON::PP->new->canonical->encode($body);
    my $before = snapshot();
    my ($s, $j) = api($method => $path, $body, token => $P);
    is $s, 400, "R9.6 $what: 400";
    is $j && $j->{error}{code}, 'invalid_field', '... invalid_field';
    like $j && $j->{error}{message}, qr/^"\Q$field\E"/, "... naming $field"
        or diag explain $j;
    is snapshot(), $before, '... and nothing stored';
}
unlike nginx_error_log($mark), qr/\[error\]/, 'no [error] line for any of it';

my ($s, $j) = api(GET => 'tenants/acme', undef, token => $P);
is_deeply $j->{origins}, ['https://shop.example'], 'the allowlist is intact';

# --- a sync after an id beyond 64 bits: an error frame, not a close

my $c = arrive_ok('acme', customer => 'u1');
my $admin = login_token('acme', 'alice');
my $ws = ws_open("/api/tenants/acme/agent/ws?token=$admin");
ok $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }), 'agent socket';
$ws->send_json({ type => 'sync', conversation => $c->{id},
                 after => '99999999999999999999-0', ref => 's1' });
my $e = $ws->wait_json(sub { ($_[0]{ref} // '') eq 's1' });
is $e && $e->{type}, 'error', 'a sync after 2^64 and more: an error frame';
is $e && $e->{error}{code}, 'invalid_field', '... invalid_field';
$ws->send_json({ type => 'sync', conversation => $c->{id},
                 after => '18446744073709551615-0', ref => 's2' });
$e = $ws->wait_json(sub { ($_[0]{ref} // '') eq 's2' });
is $e && $e->{type}, 'ack', 'the largest id is fine';
$ws->send_json({ type => 'ping' });
ok $ws->wait_json(sub { $_[0]{type} eq 'pong' }), 'the socket lives on';
$ws->close;

# --- 405 says what the path takes

my @allow = (
    [ PATCH => '/api/tenants/acme', 'GET, HEAD, PUT, DELETE' ],
    [ GET => '/api/tenants/acme/login', 'POST' ],
    [ POST => '/api/tenants/acme/queues/q', 'GET, HEAD, PUT, DELETE' ],
);
for my $a (@allow) {
    my ($method, $path, $want) = @$a;
    my ($st, $h, $body) = http_request($method, $path, undef,
                                       Authorization => "Bearer $P");
    is $st, 405, "$method $path: 405";
    is $h->{allow}, $want, "... Allow: $want";
}

# --- CSV: = + - @ TAB CR lead to a quote

for my $n (["=1+1", 'f1'], ["\tcmd", 'f2'], ["\rcmd", 'f3']) {
    my ($name, $id) = @$n;
    ($s) = api(PUT => "tenants/acme/links/$id", { name => $name },
               token => $P);
    is $s, 201, "a link named " . JSON::PP->new->encode($name);
}
my ($st, $h, $csv) = http_request(GET => '/api/tenants/acme/links/export',
                                  undef, Authorization => "Bearer $P");
is $st, 200, 'the links export';
like $csv, qr/^f1,'=1\+1,/m, 'a leading = is defused';
like $csv, qr/^f2,'\tcmd,/m, 'a leading TAB is defused';
like $csv, qr/^f3,"'\rcmd",/m, 'a leading CR is defused (and quoted)';

done_testing();
