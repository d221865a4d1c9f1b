# R1.5, issue #5: customers signed in by the tenant's site.  The site signs
# the customer id with the tenant's identity key (HMAC-SHA256, as Chatwoot
# and Intercom do); a tenant that requires login serves only those: no
# signature or a wrong one gets a 401 and no conversation; a signed one
# gets its customer token, which opens the customer socket.

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256_hex);
use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start();

my $p = setup_tenant('acme', queues => { sales => {} },
                     agents => { alice => { queues => ['sales'],
                                            role => 'admin' },
                                 bob => { queues => ['sales'] } },
                     fallback => 'sales');
setup_tenant('other', agents => { x => { role => 'admin' } });

# the key: derived from csq_secret, shown to the tenant's admins only
my $admin = login_token('acme', 'alice');
my ($s, $j) = api(GET => 'tenants/acme/identity', undef, token => $admin);
is $s, 200, 'an admin reads the identity key';
is $j->{identity_key}, hmac_sha256_hex('csq-identity|acme', $Secret),
   '... hex(HMAC-SHA256(csq_secret, "csq-identity|<tenant>"))';
($s) = api(GET => 'tenants/acme/identity', undef,
           token => login_token('acme', 'bob'));
is $s, 403, 'an agent may not';
($s) = api(GET => 'tenants/acme/identity', undef,
           token => login_token('other', 'x'));
is $s, 403, "another tenant's admin may not";
my ($s2, $j2) = api(GET => 'tenants/other/identity', undef,
                    token => $p);
isnt $j2->{identity_key}, $j->{identity_key}, 'each tenant has its own';

my $key = $j->{identity_key};
sub signed { return hmac_sha256_hex($_[0], $key) }

# anonymous visitors are welcome until the tenant requires login
($s) = api(POST => 'tenants/acme/conversations', { customer => 'anon1' });
is $s, 201, 'an anonymous visitor arrives';

($s, $j) = api(PUT => 'tenants/acme', { require_login => JSON::PP::true() },
               token => $p);
ok $s == 200 && $j->{require_login}, 'the tenant requires login';
($s) = api(PUT => 'tenants/acme', { require_login => 'yes' }, token => $p);
is $s, 400, 'require_login is a boolean';

my $before = redis_cmd('HGET', 'csq:{acme}:tenant', 'seq');
($s, $j) = api(POST => 'tenants/acme/conversations', { customer => 'anon2' });
is $s, 401, 'R1.5 an unsigned customer: 401';
is $j->{error}{code}, 'login_required', '... login_required';
($s, $j) = api(POST => 'tenants/acme/conversations',
               { customer => 'u7', customer_hash => signed('u8') });
is $s, 401, 'a signature of another id: 401';
is $j->{error}{code}, 'bad_identity', '... bad_identity';
($s) = api(POST => 'tenants/acme/conversations',
           { customer => 'u7', customer_hash => 'abc' });
is $s, 401, 'a malformed signature: 401';
($s) = api(POST => 'tenants/acme/conversations',
           { customer => 'u7', customer_hash => hmac_sha256_hex('u7', 'guess') });
is $s, 401, 'a signature with another key: 401';
is redis_cmd('HGET', 'csq:{acme}:tenant', 'seq'), $before,
   '... and no conversation was made';

($s, $j) = api(POST => 'tenants/acme/conversations',
               { customer => 'u7', customer_hash => uc signed('u7') });
is $s, 201, 'a signed-in customer arrives (hex in any case)';
is redis_cmd('HGET', "csq:{acme}:c:$j->{id}", 'verified'), '1',
   '... marked verified';

my $ws = ws_open("/api/tenants/acme/chat/ws?token=$j->{customer_token}"
                 . "&conversation=$j->{id}");
ok $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }),
   'its customer token opens the customer socket';
$ws->close if $ws;

done_testing();
