# issue #14 §1, §3 (R1.4): the outbox under 2 nginx x 2 workers.  Every
# worker of every node sends (they hear of new entries on pub/sub and
# claim them in Redis, one sender an entry at a time): 200 replies in 40
# conversations reach the receiver once each, in each conversation's
# order, from workers of both nodes.  A worker killed while its post is in
# flight loses nothing: its lease runs out and another worker sends the
# entry again, under the same Idempotency-Key.  A receiver down for a
# minute gets every reply when it is back.  A worker that held an
# entry's retry and died is stood in for by the tick, which finds what is
# due.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use JSON::PP;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;
use t::CsqReceiver;

my $Json = JSON::PP->new->canonical;

redis_start();
my $rx = t::CsqReceiver->new("$t::CsqUtil::RepoRoot/t/servroot-rx");
my $RX = $rx->port;

api_nginx_start(
    workers => 2,
    log_level => 'info',
    http_config => "    csq_tick 300ms;\n"
        . "    csq_outbox_lease 5s;\n"
        . "    csq_trusted 127.0.0.1;\n"
        . "    csq_outbox_allow http://127.0.0.1:$RX/;\n",
    conf => <<"_EOC_");
location = /_csq_outbox {
    internal;
    csq_outbox;
    proxy_pass \$csq_outbox_url;
    proxy_set_header X-Sender \$pid;
    proxy_connect_timeout 1s;
    proxy_read_timeout 3s;
}
_EOC_
my ($PB, $prefix_b) = nginx_twin('ob-b');

my $P = platform_token();
setup_tenant('acme', tenant => { return_hours => 0 },
             queues => { sales => {} },
             agents => { alice => { queues => ['sales'], capacity => 100 } },
             fallback => 'sales');
my $T = login_token('acme', 'alice');
sub admin { tenant_call('acme', $P, @_) }

my ($s, $j) = admin(PUT => 'channels/wx', { url => "http://127.0.0.1:$RX/h",
                    retry_base_ms => 200, retry_max => 20 });
is $s, 201, 'a channel';
($s, $j) = admin(GET => 'channels/wx/key');
my $KEY = $j->{key};

# the workers of the nginx in $prefix (its master's children)
sub workers_of {
    my ($prefix) = @_;
    open my $pf, '<', "$prefix/logs/nginx.pid" or return ();
    my $master = <$pf>;
    chomp $master;
    my @w;
    opendir my $dh, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $sf, '<', "/proc/$p/stat" or next;
        my $stat = <$sf>;
        push @w, $p if $stat =~ /\)\s+\S+\s+(\d+)/ && $1 == $master;
    }
    return @w;
}

sub inbound {
    my ($ev, $port) = @_;
    return channel_post('acme', 'wx', $KEY, $ev, port => $port);
}

my @convs;
for my $i (1 .. 40) {
    my ($st, $c) = inbound({ id => "e$i", user => { id => "u$i" },
                             message => { kind => 'text', text => 'hi' } },
                           $i % 2 ? undef : $PB);
    push @convs, $c->{conversation} if $st == 201;
}
is scalar(@convs), 40, '40 channel users arrive through both nodes';

# the agent's sockets, one on each node
sub sockets {
    return map {
        my $w = ws_open("/api/tenants/acme/agent/ws?token=$T",
                        $_ ? (port => $PB) : ()) or die;
        $w->wait_json(sub { $_[0]{type} eq 'hello' }) or die;
        $w;
    } 0, 1;
}
my @ws = sockets();

sleep 0.5;
$rx->clear;
my (%sent, $n);
for my $k (1 .. 5) {
    for my $cid (@convs) {
        my $w = $ws[$n++ % 2];
        $w->send_json({ type => 'message', conversation => $cid,
                        ref => "$cid-$k", text => "$cid says $k" });
    }
}
for my $w (@ws) {
    my $got = 0;
    while ($got < 100) {
        my $a = $w->wait_json(sub { $_[0]{type} eq 'ack'
                                    || $_[0]{type} eq 'error' }, 10) or last;
        $got++;
        if ($a->{type} eq 'error') {
            diag explain $a;
            next;
        }
        $sent{$a->{ref}} = $a->{id};
    }
}
is scalar(keys %sent), 200, '200 replies stored';

my $until = time + 40;
my @r;
while (time < $until) {
    @r = $rx->requests;
    my %k = map { $_->{headers}{'idempotency-key'} => 1 } @r;
    last if keys %k >= 200;
    sleep 0.2;
}
my %keys;
$keys{$_->{headers}{'idempotency-key'}}++ for @r;
is scalar(keys %keys), 200, 'R1.4 every reply reaches the receiver';
# a post that timed out (this receiver forks a process a connection, on a
# busy machine) is sent again: a duplicate only as a later attempt
my %att;
push @{ $att{$_->{headers}{'idempotency-key'}} },
     $_->{headers}{'x-csq-attempt'} for @r;
my $retry_only = grep {
    my @a = @{ $att{$_} };
    my %u = map { $_ => 1 } @a;
    keys %u == @a
} keys %att;
is $retry_only, 200, '... a duplicate only as a retry under its key (' .
   (@r - 200) . ' of ' . scalar(@r) . ' posts)';

my %first;
for my $q (@r) {
    my $b = decode_json($q->{body});
    push @{ $first{$b->{conversation}} }, $b->{text}
        unless $first{seen}{$q->{headers}{'idempotency-key'}}++;
}
delete $first{seen};
my $in_order = grep {
    my $cid = $_;
    join(',', @{ $first{$cid} || [] })
        eq join(',', map { "$cid says $_" } 1 .. 5)
} @convs;
is $in_order, 40, '... each conversation\'s in its order';

my %pids = map { $_->{headers}{'x-sender'} => 1 } @r;
my @a_pids = nginx_worker_pids();
my @b_pids = workers_of($prefix_b);
ok @b_pids == 2, 'the second nginx has its 2 workers';
my $from_a = grep { my $p = $_; grep { $_ == $p } @a_pids } keys %pids;
ok keys(%pids) >= 3, 'sent by ' . keys(%pids) . ' workers';
ok $from_a >= 1 && keys(%pids) - $from_a >= 1, '... of both nodes';

# --- the receiver down for a minute

($s) = admin(PUT => 'channels/wx', { retry_base_ms => 1000 });
$rx->stop;
$rx->clear;
my %down;
for my $k (0 .. 19) {
    my $cid = $convs[$k];
    my $w = $ws[$k % 2];
    $w->send_json({ type => 'message', conversation => $cid,
                    ref => "down-$k", text => "while down $k" });
}
for my $w (@ws) {
    for (1 .. 10) {
        my $a = $w->wait_json(sub { $_[0]{type} eq 'ack' }, 10) or last;
        $down{$a->{ref}} = $a->{id};
    }
}
is scalar(keys %down), 20, '20 replies while the receiver is down';
sleep 60;
$rx->start;
@ws = sockets();        # these did not answer the server's pings
$until = time + 60;
my %dk;
while (time < $until) {
    @r = $rx->requests;
    %dk = map { $_->{headers}{'idempotency-key'} => 1 }
          grep { $_->{body} =~ /while down/ } @r;
    last if keys %dk >= 20;
    sleep 0.5;
}
is scalar(keys %dk), 20,
   'R1.4 a receiver down for a minute gets every reply when it is back';
my %dn;
$dn{$_->{headers}{'idempotency-key'}}{$_->{headers}{'x-csq-attempt'}}++
    for grep { $_->{body} =~ /while down/ } @r;
is scalar(grep { grep { $_ > 1 } values %$_ } values %dn), 0,
   '... a duplicate only as another attempt under the same key';
ok !(grep { my $h = $_; grep { $_ == 1 } keys %$h } values %dn),
   '... each after its first tries failed (no attempt 1 got through)';

# --- a worker killed while its post is in flight

$rx->clear;
$rx->mode(status => 200, delay => 1.5);
$ws[0]->send_json({ type => 'message', conversation => $convs[0],
                    ref => 'kill', text => 'survive the kill' });
my $ka = $ws[0]->wait_json(sub { $_[0]{type} eq 'ack' });
@r = ();
$until = time + 5;
while (time < $until && !@r) {
    @r = grep { $_->{body} =~ /survive the kill/ } $rx->requests;
    sleep 0.05;
}
my $victim = @r ? $r[0]{headers}{'x-sender'} : 0;
ok $victim, 'a worker posts, the receiver takes its time';
kill 'KILL', $victim if $victim;
$rx->mode(status => 200);
$until = time + 15;
my $state = '';
while (time < $until) {
    ($s, $j) = tenant_call('acme', $T, GET =>
                           "conversations/$convs[0]/delivery", undef);
    $state = $j->{entries}{$ka->{id}} // '';
    last if $state eq 'sent';
    sleep 0.2;
}
is $state, 'sent', 'R1.4 the worker killed mid-post: another sends it';
@r = grep { $_->{body} =~ /survive the kill/ } $rx->requests;
is scalar(@r), 2, '... twice in all';
is $r[1]{headers}{'idempotency-key'}, $r[0]{headers}{'idempotency-key'},
   '... under one Idempotency-Key';
isnt $r[1]{headers}{'x-sender'}, $victim, '... by another worker';

# --- a retry whose worker died: the tick finds it

$rx->stop;
$rx->clear;
($s, $j) = inbound({ id => 'late', user => { id => 'late' },
                     message => { kind => 'text', text => 'hi' } });
my $lc = $j->{conversation};
my $lw = ws_open("/api/tenants/acme/agent/ws?token=$T", port => $PB) or die;
$lw->wait_json(sub { $_[0]{type} eq 'hello' }) or die;
$lw->send_json({ type => 'message', conversation => $lc, ref => 'late',
                 text => 'after everything died' });
my $la = $lw->wait_json(sub { $_[0]{type} eq 'ack' });
ok $la && $lc, 'a reply while the receiver is down' or diag explain $j;
sleep 1;
kill 'KILL', nginx_worker_pids(), workers_of($prefix_b);
sleep 1;
$rx->start;
$until = time + 15;
$state = '';
while (time < $until) {
    ($s, $j) = tenant_call('acme', $T, GET => "conversations/$lc/delivery");
    $state = ($j && $j->{entries}{$la->{id}}) // '';
    last if $state eq 'sent';
    sleep 0.3;
}
is $state, 'sent', 'R1.4 every worker that knew of a retry died: the tick '
                   . 'finds it and it is sent'
   or diag explain [ $s, $j, $la, redis_cmd('ZRANGE', 'csq:{acme}:ob:due', 0,
                     -1, 'WITHSCORES'), redis_cmd('ZRANGE', 'csq:{acme}:ob:fly',
                     0, -1, 'WITHSCORES') ];

unlike nginx_error_log(), qr/\[(crit|emerg)\]|signal 11/,
       'no crash in the error log';

done_testing;
