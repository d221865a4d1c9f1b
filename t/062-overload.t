# issue #11 section 6 (R9.6): a worker whose deliveries fall behind
# refuses new messages with an error frame "overloaded" instead of letting
# a queue grow.  The lag is the clock against the time in the ids of the
# log entries pub/sub brings, over its least of the last minute or two (so
# that a skew between nginx's and Redis' clocks does not count); past
# csq_relay_lag_max (1s), a message frame is refused until the lag is
# back, or has not been seen for a second.  bench/overload.sh shows it
# under load; here an entry of five seconds ago is published by hand.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(workers => 1, log_level => 'info',
                http_config => "    csq_relay_lag_max 500ms;\n");
setup_tenant('acme', queues => { sales => {} },
             agents => { alice => { queues => ['sales'] } },
             fallback => 'sales');
my $c = arrive_ok('acme', customer => 'u1');
my $ws = customer_socket('acme', $c);
ok $ws, 'a customer socket';

sub say { return $ws->say($_[0]) }

# entries of now come through: the usual lag
for my $i (1 .. 3) {
    is say("a$i")->{type}, 'ack', "message $i is taken";
}

# one of five seconds ago: deliveries are behind
my $old = int(time * 1000) - 5000;
redis_cmd('PUBLISH', "csq:{acme}:live:c:$c->{id}",
          "L $c->{id} $old-0\n{\"type\":\"message\",\"conversation\":"
          . "\"$c->{id}\",\"id\":\"$old-0\",\"kind\":\"text\","
          . "\"text\":\"late\"}");
sleep 0.1;
my $r = say('b1');
is $r->{type}, 'error', 'R9.6 a worker behind refuses a new message';
is $r->{error}{code}, 'overloaded', '... overloaded';
my $before = redis_cmd('XLEN', "csq:{acme}:log:$c->{id}");
$r = say('b2');
is $r->{error}{code}, 'overloaded', '... while it is behind';
is redis_cmd('XLEN', "csq:{acme}:log:$c->{id}"), $before,
   '... nothing stored';
ok !grep({ ($_->{text} // '') eq 'late' } @{ $ws->{seen} }),
   'the late entry was not sent (the socket had it past)';

# no lag seen for a second: it takes messages again
sleep 1.1;
is say('c1')->{type}, 'ack', 'R9.6 caught up: messages are taken again';
is say('c2')->{type}, 'ack', '... and on';

done_testing();
