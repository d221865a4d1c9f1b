# issue #5: routing events pushed live, status over the socket, presence.
#  - the agent socket hears of new assignments, transfers and ends; the
#    customer socket of its agent joining (name, avatar), its queue
#    position changing, the end (R3.6, R5.1);
#  - a status sent over the agent socket is the same atomic change as the
#    API's, and the agent's other devices hear of it (R2.2);
#  - R2.6: an agent whose sockets are all gone longer than the grace is
#    set offline, gets its status back when it reconnects, and is not
#    touched when it comes back within the grace; a worker killed with its
#    sockets counts as gone once their leases run out; a waiting customer
#    whose socket closed is abandoned after the grace, and a page reload
#    does not abandon it.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

my $factor = $t::CsqUtil::TimeoutFactor;
my ($grace, $ping) = (600 * $factor, 1000 * $factor);

redis_start();
api_nginx_start(workers => 2, log_level => 'info',
                http_config => "    csq_tick 100ms;\n"
                               . "    csq_presence_grace ${grace}ms;\n"
                               . "    csq_ws_ping ${ping}ms;\n");


setup_tenant('acme', queues => { sales => {}, vip => {} },
             agents => {
                 alice => { queues => ['sales'], capacity => 1,
                            name => 'Alice', avatar => 'https://a.example/a.png' },
                 bob => { queues => ['vip'], capacity => 2 } },
             fallback => 'sales');

my %tokens;

sub agent_ws {
    my ($who) = @_;
    $tokens{$who} //= login_token('acme', $who);
    my $ws = ws_open("/api/tenants/acme/agent/ws?token=$tokens{$who}")
        or return undef;
    my $h = $ws->wait_json(sub { $_[0]{type} eq 'hello' });
    $ws->{hello} = $h;
    return $h ? $ws : undef;
}

sub customer_ws {
    my ($c) = @_;
    my $ws = ws_open("/api/tenants/acme/chat/ws?token=$c->{customer_token}"
                     . "&conversation=$c->{id}") or return undef;
    my $h = $ws->wait_json(sub { $_[0]{type} eq 'hello' });
    $ws->{hello} = $h;
    return $h ? $ws : undef;
}

sub event_of {
    my ($ws, $event, $cid, $secs) = @_;
    return $ws->wait_json(sub { $_[0]{type} eq 'message'
                                && ($_[0]{event} // '') eq $event
                                && $_[0]{conversation} eq $cid }, $secs);
}

my $a1 = agent_ws('alice');
my $a2 = agent_ws('alice');
my $b1 = agent_ws('bob');
ok $a1 && $a2 && $b1, 'alice (two devices) and bob are connected';
is $a1->{hello}{agent}{status}, 'online', "alice's hello has her status";

# --- assignment, queue positions, joined

my $c1 = arrive_ok('acme', customer => 'u1', queue => 'sales');
is agent_of($c1), 'alice', 'c1 goes to alice';
my $e = event_of($a1, 'assigned', $c1->{id});
ok $e, "alice's socket hears of the new conversation";
ok event_of($a2, 'assigned', $c1->{id}), '... on both devices';

my $c2 = arrive_ok('acme', customer => 'u2', queue => 'sales');
my $c3 = arrive_ok('acme', customer => 'u3', queue => 'sales');
is $c3->{state}, 'queued', 'alice is full: c2 and c3 wait';
my $q = $a2->wait_json(sub { $_[0]{type} eq 'queue'
                             && ($_[0]{conversation} // '') eq $c3->{id} });
ok $q && $q->{queue} eq 'sales' && $q->{event} eq 'queued',
   "the agents of the queue hear that c3 waits there";
ok !$b1->wait_json(sub { $_[0]{type} eq 'queue' }, 0.3),
   '... not the agents of another queue';
my $w2 = customer_ws($c2);
my $w3 = customer_ws($c3);
is $w3->{hello}{conversation}{position}, 2, "c3's hello: position 2";

my $w1 = customer_ws($c1);
is $w1->{hello}{conversation}{agent}{name}, 'Alice',
   "c1's hello names its agent";

# c2 leaves: c3 moves up
my ($s) = api(POST => "tenants/acme/conversations/$c2->{id}/leave", undef,
              token => platform_token());
is $s, 200, 'c2 leaves';
my $pos = $w3->wait_json(sub { $_[0]{type} eq 'queue' });
ok $pos && $pos->{position} == 1 && defined $pos->{estimated_wait},
   'R3.6 c3 hears its new position (1) with an estimate'
   or diag explain $pos;

# alice ends c1: c3 is hers; c3 hears she joined
end_conv_ok('acme', $c1->{id});
ok event_of($w1, 'ended', $c1->{id}), 'the customer of c1 hears of the end';
ok event_of($a1, 'ended', $c1->{id}), '... and alice';
my $j = event_of($w3, 'assigned', $c3->{id});
ok $j && $j->{agent}{name} eq 'Alice'
   && $j->{agent}{avatar} eq 'https://a.example/a.png',
   'c3 hears that Alice joined, with her avatar';
ok event_of($a2, 'assigned', $c3->{id}), 'alice hears of c3';

# --- transfer to bob

($s) = api(POST => "tenants/acme/conversations/$c3->{id}/transfer",
           { agent => 'bob' }, token => platform_token());
is $s, 200, 'c3 is transferred to bob';
ok event_of($a1, 'transferred', $c3->{id}), 'alice hears of the transfer';
ok event_of($b1, 'assigned', $c3->{id}), 'bob hears c3 is his';
ok event_of($w3, 'transferred', $c3->{id}), 'the customer hears of it';

# bob answers over his socket; alice no longer may
$b1->send_json({ type => 'message', conversation => $c3->{id},
                 text => 'bob here', ref => 'b1' });
my $ack = $b1->wait_json(sub { ($_[0]{ref} // '') eq 'b1' });
is $ack && $ack->{type}, 'ack', 'bob writes in c3';
$a1->send_json({ type => 'message', conversation => $c3->{id},
                 text => 'alice here', ref => 'a1' });
$ack = $a1->wait_json(sub { ($_[0]{ref} // '') eq 'a1' });
is $ack && $ack->{error}{code}, 'forbidden', 'alice may not any more';

# --- status over the socket (R2.2)

$a1->send_json({ type => 'status', status => 'suspended', ref => 's1' });
$ack = $a1->wait_json(sub { ($_[0]{ref} // '') eq 's1' });
is $ack && $ack->{status}, 'suspended', 'alice suspends herself by socket';
my $st = $a2->wait_json(sub { $_[0]{type} eq 'status' });
is $st && $st->{status}, 'suspended', 'her other device hears of it';
is agent_get('acme', 'alice')->{status}, 'suspended', '... and it is kept';
$a1->send_json({ type => 'status', status => 'asleep', ref => 's2' });
$ack = $a1->wait_json(sub { ($_[0]{ref} // '') eq 's2' });
is $ack && $ack->{error}{code}, 'invalid_field', 'a bad status is refused';
$a1->send_json({ type => 'status', status => 'online', ref => 's3' });
$a1->wait_json(sub { ($_[0]{ref} // '') eq 's3' });

# --- R2.6 presence of agents

# back within the grace: nothing changes
$a1->drop;
$a2->drop;
$a1 = agent_ws('alice');
ok $a1 && !$a1->{hello}{restored}, 'alice reconnects within the grace';
sleep 1.5 * $grace / 1000;
is agent_get('acme', 'alice')->{status}, 'online',
   '... and stays online';

# gone longer than the grace: offline, its conversations kept
$a1->close;
ok wait_for(sub { agent_get('acme', 'alice')->{status} eq 'offline' }),
   'alice is set offline once her sockets are gone past the grace';
my $t_off = time;

# ... and gets new ones no more
my $c4 = arrive_ok('acme', customer => 'u4', queue => 'sales');
is $c4->{state}, 'queued', 'an offline agent gets no new customer';

$a1 = agent_ws('alice');
ok $a1 && $a1->{hello}{restored}, 'alice reconnects: her status is back';
is $a1->{hello}{agent}{status}, 'online', '... online, in the hello';
ok wait_for(sub { (agent_convs('acme', 'alice')->{active}[0]{id} // '')
                  eq $c4->{id} }),
   '... and she takes the waiting customer';

# a worker killed with her socket: gone once the lease runs out
my @before = nginx_worker_pids();
my $bob_status = agent_get('acme', 'bob')->{status};
kill 'KILL', @before;
ok wait_for(sub { agent_get('acme', 'alice')->{status} eq 'offline' }, 8),
   'workers killed with the sockets: offline once the leases run out';
ok wait_for(sub { my @w = nginx_worker_pids(); @w == 2 }),
   'the master starts new workers';

# --- R2.6 presence of waiting customers

my ($s5) = api(POST => 'tenants/acme/agents/bob/status',
               { status => 'offline' }, token => platform_token());
my $c5 = arrive_ok('acme', customer => 'u5', queue => 'vip');
is $c5->{state}, 'queued', 'a customer waits (nobody online in vip)';
my $w5 = customer_ws($c5);
ok $w5, 'its page is open';

# a reload: the socket closes and comes back within the grace
$w5->close;
$w5 = customer_ws($c5);
sleep 1.5 * $grace / 1000;
is conv('acme', $c5->{id})->{state}, 'queued',
   'a page reload does not abandon the customer';

# gone: abandoned after the grace
$w5->drop;
ok wait_for(sub { conv('acme', $c5->{id})->{state} eq 'abandoned' }),
   'a waiting customer whose page closed is abandoned after the grace';
ok redis_cmd('ZSCORE', 'csq:{acme}:cb:open', "chat.$c5->{id}"),
   '... and kept on the callback list';

$_->close for grep { $_ && !$_->{gone} } $b1, $w1, $w3, $a1;

my $log = nginx_error_log();
$log =~ s/^.*exited on signal 9\n//mg;     # the workers killed above
unlike $log, qr/\[(alert|crit|emerg)\]/, 'no other alert in the error log';
is valgrind_report(), '', 'valgrind: clean' if $t::CsqUtil::UseValgrind;

done_testing();
