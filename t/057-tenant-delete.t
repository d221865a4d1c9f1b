# issue #11 §2 (R9.6): deleting a tenant does not block Redis for long: its
# keys go in batches (SCAN of 1,000 a call, one call each), the tenant is
# gone for every caller from the first; a delete cut short (nginx stopped
# between batches) goes on with the next DELETE.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_tick 0;\n    csq_trusted 127.0.0.1;\n");
my $P = setup_tenant('big', queues => { sales => {} }, fallback => 'sales');
setup_tenant('other', queues => { q => {} });

for my $i (1 .. 2500) {
    my ($s) = api(POST => 'tenants/big/entry', {});
    die "entry $i: $s\n" unless $s == 200;
}
my $keys = scalar @{ redis_cmd('KEYS', 'csq:{big}:*') };
cmp_ok $keys, '>', 2500, "a tenant of $keys keys";

redis_cmd('CONFIG', 'RESETSTAT');
my ($s, $j) = api(DELETE => 'tenants/big', undef, token => $P);
is $s, 200, 'R9.6 the tenant is deleted';
is $j->{keys}, $keys, '... every key of it counted';
is scalar @{ redis_cmd('KEYS', 'csq:{big}:*') }, 0, '... none left';
my ($calls) = redis_cmd('INFO', 'commandstats') =~ /cmdstat_fcall:calls=(\d+)/;
cmp_ok $calls, '>', 1, "... in batches, one call each ($calls)";
($s) = api(GET => 'tenants/other', undef, token => $P);
is $s, 200, 'the other tenant is untouched';
($s) = api(GET => 'tenants/big', undef, token => $P);
is $s, 404, 'the deleted one is gone';

# cut short: the tenant already gone, its keys still there, the walk's mark
setup_tenant('cut', queues => { q => {} });
api(POST => 'tenants/cut/entry', {}) for 1 .. 50;
redis_cmd('DEL', 'csq:{cut}:tenant');
redis_cmd('SREM', 'csq:tenants', 'cut');
redis_cmd('HSET', 'csq:{cut}:deleting', 'cursor', 0, 'keys', 1);
($s, $j) = api(DELETE => 'tenants/cut', undef, token => $P);
is $s, 200, 'R9.6 a delete cut short goes on with the next DELETE';
is scalar @{ redis_cmd('KEYS', 'csq:{cut}:*') }, 0, '... and ends it';
($s) = api(DELETE => 'tenants/cut', undef, token => $P);
is $s, 404, 'then the tenant is not found';

done_testing();
