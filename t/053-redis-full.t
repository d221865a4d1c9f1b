# issue #11 §2 (R9.6): Redis out of memory (maxmemory with noeviction, as
# conf-examples/redis.conf recommends).  What would store more gets a
# clear 503 redis_full (an error frame on a socket, which stays open);
# reads and what frees memory (ending a conversation: allow-oom) still
# work; acknowledged messages are all there; service resumes by itself
# once memory is free.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info');
my $P = setup_tenant('acme', queues => { sales => {} },
                     agents => { alice => { queues => ['sales'] } },
                     fallback => 'sales');

my $c = arrive_ok('acme', customer => 'u1');
my $ws = customer_socket('acme', $c);
ok $ws, 'a customer socket';

sub say { return $ws->say($_[0], text => $_[0]) }

my @acked = map { say("before $_")->{id} } 1 .. 3;
is scalar(grep { defined } @acked), 3, 'three messages acknowledged';

# full: every write beyond this point is refused
my $mark = nginx_error_log_size();
redis_cmd('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
redis_cmd('CONFIG', 'SET', 'maxmemory', 1);

my $f = say('while full');
is $f && $f->{type}, 'error', 'R9.6 a message while Redis is full: an error';
is $f && $f->{error}{code}, 'redis_full', '... redis_full';
$ws->send_json({ type => 'ping' });
ok $ws->wait_json(sub { $_[0]{type} eq 'pong' }), '... and the socket lives';

my ($s, $j) = api(PUT => 'tenants/acme/queues/more', {}, token => $P);
is $s, 503, 'R9.6 an API write while full: 503';
is $j->{error}{code}, 'redis_full', '... redis_full';
($s, $j) = api(POST => 'tenants/acme/conversations', { customer => 'u2' });
is $s, 503, '... an arrival too';

($s, $j) = api(GET => "tenants/acme/conversations/$c->{id}", undef,
               token => $P);
is $s, 200, 'reads still work';

my $log = nginx_error_log($mark);
like $log, qr/\[warn\].*redis is full/, 'logged at warn';
unlike $log, qr/\[error\].*function failed/, 'not as a failed function';

# room again: everything as before, nothing acknowledged lost
redis_cmd('CONFIG', 'SET', 'maxmemory', 0);
$f = say('after');
is $f && $f->{type}, 'ack', 'R9.6 service resumes once memory is free';
my $ids = join ' ', map { $_->[0] }
          @{ redis_cmd('XRANGE', "csq:{acme}:log:$c->{id}", '-', '+') };
is scalar(grep { index($ids, $_) >= 0 } @acked, $f->{id}), 4,
    'every acknowledged message is in the log';
unlike $ids, qr/while full/, '... and the refused one is not';

# what frees memory works while full (allow-oom)
redis_cmd('CONFIG', 'SET', 'maxmemory', 1);
($s, $j) = api(POST => "tenants/acme/conversations/$c->{id}/end", {},
               token => $P);
is $s, 200, 'R9.6 ending a conversation works while Redis is full';
redis_cmd('CONFIG', 'SET', 'maxmemory', 0);
$ws->close;

done_testing();
