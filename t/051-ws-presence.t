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

# --- an anonymous arrival is there for a socket: none within the
# tenant's connect_grace_seconds, and it lets go of its place or its agent
# (R9.6); a tenant's own system (a token) keeps its arrivals

my $P = platform_token();
setup_tenant('solo', tenant => { connect_grace_seconds => 1 },
             queues => { q => {} },
             agents => { al => { queues => ['q'], capacity => 1 } },
             fallback => 'q');
my $a1 = arrive_ok('solo', customer => 'anon1');
is agent_of($a1), 'al', 'an anonymous arrival takes al';
my $a2 = arrive_ok('solo', customer => 'anon2');
is $a2->{state}, 'queued', 'the next one waits';
my ($s, $kept) = api(POST => 'tenants/solo/conversations',
                     { customer => 'crm1' }, token => $P);
is $s, 201, 'an arrival from the tenant\'s own system (a token)';
ok wait_for(sub { conv('solo', $a1->{id})->{state} eq 'ended' }),
    'R9.6 with no socket within the grace the served one ends';
is conv('solo', $a1->{id})->{end_reason}, 'no_socket', '... reason no_socket';
ok wait_for(sub { conv('solo', $a2->{id})->{state} ne 'queued' }),
    '... and the waiting one lets go';
like conv('solo', $a2->{id})->{state}, qr/^(abandoned|ended)$/,
    '... abandoned (or ended, had al taken it meanwhile)';
sleep 1;
isnt conv('solo', $kept->{id})->{state}, 'abandoned',
    'the token holder\'s arrival is kept';
isnt conv('solo', $kept->{id})->{state}, 'ended', '... not ended either';

done_testing();
