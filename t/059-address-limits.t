# issue #11 §2 (R9.6): what one client address may start, a minute.  An
# address makes at most csq_arrival_limit conversations (default 30) and
# csq_entry_limit page entries (default 300) a minute in a tenant; past
# that, 429 rate_limited with Retry-After, and nothing is stored.  The
# tenant's own systems (an agent's or a platform token) and csq_trusted
# clients are not limited; other addresses are not affected.  A page view
# makes no conversation (the chat page makes it at the first word: see
# t/050-browser.t); these limits bound what a script can make instead.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start(log_level => 'info', conf => <<'_EOC_');
location /few/ {
    csq_api;
    csq_arrival_limit 3;
    csq_entry_limit 5;
}
location /trusted/ {
    csq_api;
    csq_arrival_limit 3;
    csq_entry_limit 5;
    csq_trusted 127.0.0.0/24;
}
_EOC_
setup_tenant('acme', queues => { sales => {} },
             agents => { alice => { queues => ['sales'], capacity => 500 } },
             fallback => 'sales');
setup_tenant('globex', queues => { q => {} }, fallback => 'q');

my $p = platform_token();

sub arrive_from {
    my ($from, $prefix, $n, $tenant, $token) = @_;
    return post_from($from, "/$prefix/tenants/" . ($tenant // 'acme')
                            . '/conversations',
                     { customer => "u$n" }, $token);
}

sub seq { return redis_cmd('HGET', "csq:{$_[0]}:tenant", 'seq') // 0 }

# --- the default: 30 arrivals a minute an address

my @st = map { (arrive_from('127.0.0.2', 'api', $_))[0] } 1 .. 30;
is scalar(grep { $_ == 201 } @st), 30,
   'R9.6 an address makes 30 conversations a minute (the default)';
my $before = seq('acme');
my ($s, $j, $h) = arrive_from('127.0.0.2', 'api', 31);
is $s, 429, '... the 31st: 429';
is $j->{error}{code}, 'rate_limited', '... rate_limited';
like $h->{'retry-after'} // '', qr/^[1-9]\d?$/,
   '... with Retry-After (seconds left of the minute)';
is seq('acme'), $before, '... and no conversation was made';
my $ttl = redis_cmd('PTTL', 'csq:{acme}:rl:arrive:127.0.0.2');
ok $ttl > 0 && $ttl <= 60000, "... the count expires with its minute ($ttl ms)";

($s) = arrive_from('127.0.0.3', 'api', 32);
is $s, 201, 'another address still gets in';
($s) = arrive_from('127.0.0.2', 'api', 33, 'globex');
is $s, 201, 'the same address in another tenant too';
($s) = arrive_from('127.0.0.2', 'api', 34, 'acme', $p);
is $s, 201, 'an arrival with a platform token (the tenant\'s systems) too';
my $alice = login_token('acme', 'alice');
($s) = arrive_from('127.0.0.2', 'api', 35, 'acme', $alice);
is $s, 201, '... or with an agent\'s';

# --- csq_arrival_limit, csq_entry_limit

@st = map { (arrive_from('127.0.0.4', 'few', $_))[0] } 1 .. 4;
is "@st", '201 201 201 429', 'csq_arrival_limit 3: the fourth is refused';
@st = map { (post_from('127.0.0.4', '/few/tenants/acme/entry', {}))[0] }
      1 .. 6;
is "@st", '200 200 200 200 200 429', 'csq_entry_limit 5: the sixth entry is refused';
my $visitors = redis_cmd('ZCARD', 'csq:{acme}:visitors');
($s, $j, $h) = post_from('127.0.0.4', '/few/tenants/acme/entry', {});
is $s, 429, '... and the next';
ok $h->{'retry-after'}, '... with Retry-After';
is redis_cmd('ZCARD', 'csq:{acme}:visitors'), $visitors,
   '... which made no visitor';

@st = map { (arrive_from('127.0.0.5', 'trusted', $_))[0] } 1 .. 6;
is "@st", '201 201 201 201 201 201', 'csq_trusted clients are not limited';
@st = map { (post_from('127.0.0.5', '/trusted/tenants/acme/entry', {}))[0] }
      1 .. 7;
is scalar(grep { $_ == 200 } @st), 7, '... in entries neither';

done_testing();
