# issue #11 §3, R2.6: a customer's presence is a lease per socket, like an
# agent's: renewed each ping interval, dropped when the socket closes, run
# out when its worker dies.  A socket that closes after its hello was
# sent but before the answer came no longer stays present for good (it
# did: a counter went up in the hello and never down), nor does a socket
# of a worker killed with -9.  Either way a waiting customer who is gone
# is abandoned once the grace or the lease has passed.

use strict;
use warnings;

use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;


redis_start();
api_nginx_start(workers => 1, log_level => 'info', nginx => { master => 1 },
                http_config => "    csq_tick 200ms;\n"
                               . "    csq_presence_grace 500ms;\n"
                               . "    csq_ws_ping 500ms;\n");
setup_tenant('acme', queues => { sales => {} }, fallback => 'sales');

sub path {
    my ($c) = @_;
    return "/api/tenants/acme/chat/ws?token=$c->{customer_token}"
         . "&conversation=$c->{id}";
}


# --- closed after the hello was sent, before it was answered: Redis
# holds the hello (a paused write) while the client resets the socket

my @convs = map { arrive_ok('acme', customer => "r$_") } 1 .. 5;
for my $c (@convs) {
    redis_cmd('CLIENT', 'PAUSE', 600, 'WRITE');
    my $ws = ws_open(path($c));
    ok $ws, "socket of $c->{id} open";
    sleep 0.2;                  # the hello is out, waiting in Redis
    setsockopt($ws->{sock}, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $ws->{sock};          # a reset
    sleep 0.5;
}
ok wait_for(sub {
    !grep { conv('acme', $_->{id})->{state} ne 'abandoned' } @convs
}), 'R2.6 customers gone before their hello was answered are abandoned'
    or diag explain [map { conv('acme', $_->{id})->{state} } @convs];

# --- the worker holding the socket is killed

my $k = arrive_ok('acme', customer => 'k1');
my $ws = ws_open(path($k));
ok $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }), 'k1 is connected';
$ws->drain(1.2);                # answers the pings: a live client
is conv('acme', $k->{id})->{state}, 'queued',
    'a connected customer stays, its lease renewed';
my @workers = nginx_worker_pids();
my $worker = $workers[0];
kill 'KILL', $worker;
ok wait_for(sub { conv('acme', $k->{id})->{state} eq 'abandoned' }),
    'R2.6 a customer whose worker died is abandoned once its lease ran out';
is redis_cmd('HLEN', "csq:{acme}:c:$k->{id}:socks"), 0,
    '... and its socket lease is gone';

done_testing();
