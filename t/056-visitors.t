# issue #11 §2 (R9.6, R8.1): a visitor search reads a bounded number of
# entries, whatever the number of visitors: by the start of an id through
# an index of ids, by link through the link's own index, at most 2,000
# candidates; it never walks every visitor of the tenant (it did: 20,000
# visitors, a 95 ms block of all of Redis).

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_tick 0;\n    csq_trusted 127.0.0.1;\n");
my $P = setup_tenant('acme', queues => { sales => {} }, fallback => 'sales');
my ($s) = api(PUT => 'tenants/acme/links/spring', { name => 'Spring' },
              token => $P);
is $s, 201, 'a link';

my $n = 2500;
for my $i (1 .. $n) {
    ($s) = api(POST => 'tenants/acme/entry',
               { ch => $i % 2 ? 'spring' : undef });
    die "entry $i: $s\n" unless $s == 200;
}
is redis_cmd('ZCARD', 'csq:{acme}:visitors'), $n, "$n visitors";

# how many visitor hashes a search reads (HGETALL calls in Redis)
sub reads {
    my ($query) = @_;
    redis_cmd('CONFIG', 'RESETSTAT');
    my ($s, $j) = api(GET => "tenants/acme/visitors?$query", undef,
                      token => $P);
    my ($calls) = redis_cmd('INFO', 'commandstats')
                  =~ /cmdstat_hgetall:calls=(\d+)/;
    return ($s, $j, $calls // 0);
}

my ($st, $j, $calls) = reads('q=zzz&limit=10');
is $st, 200, 'a search that matches nothing';
is scalar(@{ $j->{visitors} }), 0, '... finds nothing';
cmp_ok $calls, '<=', 1, "R9.6 ... and reads no visitor ($calls)";

my $some = redis_cmd('ZRANGE', 'csq:{acme}:visitors', 0, 0)->[0];
($st, $j, $calls) = reads('q=' . substr($some, 0, 6) . '&limit=5');
ok @{ $j->{visitors} } >= 1, 'a search by the start of an id finds it';
ok !grep({ index($_->{id}, substr($some, 0, 6)) != 0 } @{ $j->{visitors} }),
    '... only ids that start so';
cmp_ok $calls, '<=', 6, "R9.6 ... reading at most its limit ($calls)";

($st, $j, $calls) = reads('link=spring&limit=5');
is scalar(@{ $j->{visitors} }), 5, 'the latest 5 of a link';
ok !grep({ $_->{last_channel} ne 'spring' } @{ $j->{visitors} }),
    '... all came through it';
cmp_ok $calls, '<=', 6, "R9.6 ... read from the link's index ($calls)";

($st, $j, $calls) = reads('q=zzz&link=spring&limit=5');
cmp_ok $calls, '<=', 2001, "R9.6 both: at most 2,000 candidates ($calls)";

done_testing();
