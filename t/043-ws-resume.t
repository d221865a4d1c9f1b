# issue #5, R5.1: nothing acknowledged is lost, nothing is sent twice.
#  - a customer that drops and comes back with the last id it saw gets
#    exactly what it missed, in order; an agent device does the same with
#    a sync frame;
#  - Redis restarts (AOF on) mid-conversation: the sockets stay, their
#    subscriptions come back, and every acknowledged message is there;
#  - nginx reloads (HUP) with live sockets: they are closed with 1001, the
#    clients reconnect and resume with nothing lost or duplicated, while
#    the other side keeps talking through a second nginx;
#  - a client that never reads is closed once its send queue is full; the
#    others keep their latency.

use strict;
use warnings;

use Socket qw(SOL_SOCKET SO_RCVBUF);
use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

my @aof = (args => ['--appendonly', 'yes', '--appendfsync', 'always']);
redis_start(@aof);
# floods and read-backs of hundreds of messages: this client is trusted
# past the message rate (t/052 tests the limits)
my $port_a = api_nginx_start(workers => 2, log_level => 'info',
                             http_config => "    csq_trusted 127.0.0.1;\n");
my ($port_b, $prefix_b) = nginx_twin('resume-b');

setup_tenant('acme', queues => { sales => {} },
             agents => { alice => { queues => ['sales'], capacity => 5 } },
             fallback => 'sales');
my $alice = login_token('acme', 'alice');
my $apath = "/api/tenants/acme/agent/ws?token=$alice";

my $c = arrive_ok('acme', customer => 'u1');
my $cid = $c->{id};
my $cbase = "/api/tenants/acme/chat/ws?token=$c->{customer_token}"
          . "&conversation=$cid";

sub open_hello {
    my ($path, $port) = @_;
    my $ws = ws_open($path, port => $port // $port_a) or return undef;
    return $ws->wait_json(sub { $_[0]{type} eq 'hello' }) ? $ws : undef;
}

# sends a message and waits for its ack: the id (undef: refused)
sub say_ok {
    my ($ws, $text, %o) = @_;
    my $ref = "r" . int(rand(1e9));
    $ws->send_json({ type => 'message', text => $text, ref => $ref,
                     ($o{conversation} ? (conversation => $o{conversation})
                                       : ()) });
    my $a = $ws->wait_json(sub { ($_[0]{ref} // '') eq $ref
                                 && $_[0]{type} =~ /^(ack|error)$/ },
                           $o{timeout});
    return $a && $a->{type} eq 'ack' ? $a->{id} : undef;
}

# the text messages a socket gets within $secs, or until $n came
sub texts {
    my ($ws, $n, $secs) = @_;
    my @got;
    while (!defined $n || @got < $n) {
        my $m = $ws->wait_json(sub { $_[0]{type} eq 'message'
                                     && ($_[0]{kind} // '') eq 'text' },
                               $secs // 3);
        last unless $m;
        push @got, $m;
    }
    return @got;
}

my $cust = open_hello($cbase);
my $agent = open_hello($apath, $port_b);
ok $cust && $agent, 'a customer and its agent are connected';

# --- a customer drops and resumes

my @before = map { say_ok($agent, "before $_", conversation => $cid) } 1 .. 3;
my @seen = texts($cust, 3);
is scalar(@seen), 3, 'the customer gets three messages';
my $last = $seen[-1]{id};
$cust->drop;

my @missed = map { say_ok($agent, "missed $_", conversation => $cid) } 1 .. 5;
ok 5 == grep({ defined } @missed), 'five more are acknowledged meanwhile';

$cust = open_hello("$cbase&after=$last");
ok $cust, 'the customer comes back with the last id it saw';
my @got = texts($cust, undef, 1);
is_deeply [map { $_->{id} } @got], \@missed,
    'R5.1 resume: exactly the missed messages, in order';

my $live = say_ok($agent, 'live again', conversation => $cid);
@got = texts($cust, 1);
is $got[0]{id}, $live, '... then live ones, once';
is scalar(texts($cust, undef, 0.5)), 0, '... and no duplicate';

# the whole history from the start (a new tab): everything, in order
my $tab = open_hello($cbase);
my @all = texts($tab, undef, 1);
is_deeply [map { $_->{id} } @all], [@before, @missed, $live],
    'a tab without an id gets the whole history';
$tab->close;

# --- an agent device drops and syncs

$agent->drop;
my @cmissed = map { say_ok($cust, "to agent $_") } 1 .. 4;
$agent = open_hello($apath, $port_b);
ok $agent, 'the agent comes back';
$agent->send_json({ type => 'sync', conversation => $cid, after => $live,
                    ref => 's1' });
my $synced = $agent->wait_json(sub { ($_[0]{ref} // '') eq 's1' });
@got = texts($agent, undef, 0.5);
is_deeply [map { $_->{id} } @got], \@cmissed,
    'R5.1 agent sync: exactly what it missed';
ok $synced && $synced->{type} eq 'ack' && !$synced->{more},
    '... and the sync is acknowledged, nothing more left';

# --- an agent drops and resumes: after=<conversation>:<id>,... on its
# handshake (URL escapes allowed), read back in order before live ones

$agent->drop;
my @amissed = map { say_ok($cust, "agent away $_") } 1 .. 4;
ok 4 == grep({ defined } @amissed), 'the customer writes four meanwhile';
ok !ws_open("$apath&after=$cid:nonsense", port => $port_b)
   && ws_error() =~ /^400 /, 'a bad after= of an agent: 400';
$agent = open_hello("$apath&after=c999%3A1-0%2C$cid%3A$cmissed[-1]",
                    $port_b);
ok $agent, 'the agent comes back with after=<conversation>:<id>,...';
my $alive = say_ok($cust, 'agent back');
@got = texts($agent, 5);
is_deeply [map { $_->{id} } @got], [@amissed, $alive],
    'R5.1 resume: exactly the missed messages, in order, then live ones';
is scalar(texts($agent, undef, 0.5)), 0, '... and no duplicate';

# --- a customer that missed more than one read-back holds (100): the
#     hello brings the first 100 and says "more"; the socket reads the
#     rest back by itself, in order, nothing twice

my $seen_last = $alive;             # its own messages came back to it
$cust->drop;
my @many = map { say_ok($agent, "many $_", conversation => $cid) } 1 .. 150;
ok 150 == grep({ defined } @many), '150 messages while the customer is away';
$cust = open_hello("$cbase&after=$seen_last");
@got = texts($cust, 150, 3);
is_deeply [map { $_->{id} } @got], \@many,
    'R5.1 resume past a read-back: all 150, in order (the socket read on)';
is scalar(texts($cust, undef, 0.5)), 0, '... and nothing twice';
texts($agent, undef, 0.5);          # the agent's own 150, back to it

# --- a sender's own entry comes right after its ack (one write), even
# while the worker's pub/sub link is down: its copy through pub/sub is
# not needed, and the read-back after the resubscription skips it

$agent->drain(0.3);
texts($cust, undef, 0.3);
my $seen_mark = @{ $agent->{seen} };
redis_cmd('CLIENT', 'KILL', 'TYPE', 'pubsub');
$agent->send_json({ type => 'message', conversation => $cid,
                    text => 'own entry', ref => 'own1' });
my @frames = $agent->drain(2);
@frames = @frames[$seen_mark .. $#frames];
@{ $agent->{pending} } = ();
my ($ack_at) = grep { ($frames[$_]{ref} // '') eq 'own1'
                      && $frames[$_]{type} eq 'ack' } 0 .. $#frames;
ok defined $ack_at, 'the sender gets its ack with pub/sub down';
my $own = defined $ack_at ? $frames[$ack_at]{id} : '';
my @copies = grep { $frames[$_]{type} eq 'message'
                    && ($frames[$_]{id} // '') eq $own } 0 .. $#frames;
is scalar(@copies), 1, '... and its entry once' or diag explain \@frames;
is $copies[0], $ack_at + 1, '... right after the ack'
    or diag explain \@frames;
ok grep({ $_->{type} eq 'hello' } @frames[$ack_at + 1 .. $#frames]),
    '... and the hello of the resubscription after it';
is_deeply [map { $_->{id} } texts($cust, undef, 1)], [$own],
    'the customer gets it once pub/sub is back';

# --- Redis restarts, AOF on

my $pre = say_ok($cust, 'before the restart');
texts($agent, 1);
redis_restart(@aof);
sleep 0.5;

# the first sends may meet the reconnect: a client sends again on error
my ($id1, $tries) = (undef, 0);
until ($id1 || $tries++ > 50) {
    $id1 = say_ok($cust, 'after the restart', timeout => 2);
    sleep 0.1 unless $id1;
}
ok $id1, 'the customer writes again after the Redis restart';
@got = texts($agent, 1, 5);
is $got[0] && $got[0]{id}, $id1,
    'R5.1 the agent socket, opened before the restart, gets it live'
    or diag 'agent socket closed: ', $agent->{closed} ? $agent->close_code
                                                     : 'no',
            "\n", join "\n", grep { /\[(warn|error|crit|alert)\]|401|1008|session/ }
                                 split /\n/, nginx_error_log();
my $id2 = say_ok($agent, 'and back', conversation => $cid);
ok $cust->wait_json(sub { ($_[0]{id} // '') eq ($id2 // '-') }, 5),
   '... and the customer socket too';

my $ids = redis_cmd('XRANGE', "csq:{acme}:log:$cid", '-', '+');
my %in_log = map { $_->[0] => 1 } @$ids;
ok !(grep { !$in_log{$_} } @before, @missed, $live, @cmissed, $pre),
    'every message acknowledged before the restart is in the log (AOF)';

# --- nginx reloads with live sockets

my @tabs = map { open_hello($cbase) } 1 .. 3;
ok 3 == grep({ $_ } @tabs), 'three customer tabs on the reloading nginx';
my $tab_last = $id2;

# the agent (on the other nginx) keeps writing during the reload
my $pid = fork() // die;
if ($pid == 0) {
    my $ws = open_hello($apath, $port_b) or POSIX::_exit(1);
    my $n = 0;
    for my $i (1 .. 40) {
        $n++ if say_ok($ws, "during $i", conversation => $cid);
        sleep 0.02;
    }
    $ws->close;
    POSIX::_exit($n == 40 ? 0 : 2);
}
sleep 0.2;
ok nginx_reload(), 'nginx reloads (HUP) with the sockets open';
my $codes = 0;
for my $t (@tabs) {
    $t->next_json(3) while !$t->{closed};
    $codes++ if ($t->close_code // 0) == 1001;
}
is $codes, 3, 'each socket is closed with 1001 (going away)';

waitpid $pid, 0;
is $? >> 8, 0, 'the agent had its 40 messages acknowledged meanwhile';

my $expect = redis_cmd('XRANGE', "csq:{acme}:log:$cid",
                       "($tab_last", '+');
my @expect = map { $_->[0] } @$expect;
for my $i (0 .. 2) {
    my $ws = open_hello("$cbase&after=$tab_last");
    ok $ws, "tab $i reconnects to the new workers";
    my @m;
    while (my $f = $ws->wait_json(sub { $_[0]{type} eq 'message' }, 1)) {
        push @m, $f->{id};
    }
    is_deeply \@m, \@expect,
        "tab $i resumes: all " . scalar(@expect) . " entries since, once";
    $ws->close;
}

# --- a client that never reads

my $slow = ws_open($cbase, port => $port_a);
ok $slow, 'a slow reader connects';
setsockopt($slow->{sock}, SOL_SOCKET, SO_RCVBUF, 4096);
my $fast = open_hello($cbase);

my $big = 'x' x 9000;
my $flood = open_hello($apath, $port_b);
my ($acked, $flood_first, $flood_last) = (0, '', '');
for my $i (1 .. 800) {
    my $id = say_ok($flood, "$big $i", conversation => $cid);
    $acked++, $flood_last = $id if $id;
    $flood_first = $id if $i == 1;
    $fast->drain(0.002);                  # the fast one reads as it goes
    $flood->drain(0.02) if $i % 50 == 0;
}
is $acked, 800, 'the agent floods the conversation with 7 MB';
ok $fast->wait_json(sub { ($_[0]{id} // '') eq $flood_last }, 10),
   'the reading tab gets all of it';

my $t0 = time;
my $ping = say_ok($flood, 'ping', conversation => $cid);
my $m = $fast->wait_json(sub { ($_[0]{id} // '') eq ($ping // '-') }, 3);
my $lat = time - $t0;
ok $m, 'the reading tab still gets messages';
cmp_ok $lat, '<', 1, sprintf('... promptly (%.0f ms)', $lat * 1000);

my $found = 0;
for (1 .. 50) {
    $found = nginx_error_log() =~ /reads too slowly/;
    last if $found;
    sleep 0.1;
}
ok $found, 'the slow reader is closed once its send queue is full';

# --- a read-back of any size goes at the client's pace: 7 MB of history
# through a send queue of 256 KiB, nothing closed (it was: "reads too
# slowly" at about 26 messages of 10 KB)

my $mark = nginx_error_log_size();
my $back = open_hello("$cbase&after=$flood_first");
ok $back, 'a tab resumes from the first of 800 messages of 9 KB';
my @got_back = texts($back, undef, 2);
is scalar(@got_back), 800, '... and gets the 799 after it and the ping';
is $got_back[-1]{id}, $ping, '... in order, to the last';
$back->send_json({ type => 'ping' });
ok $back->wait_json(sub { $_[0]{type} eq 'pong' }), '... and stays open';

my ($n_sync, $pages, $after, $more) = (0, 0, $flood_first, 1);
while ($more && $pages < 200) {
    my $ref = "sync$pages";
    $flood->send_json({ type => 'sync', conversation => $cid,
                        after => $after, limit => 500, ref => $ref });
    my $ack;
    while (my $f = $flood->next_json(5)) {
        if (($f->{ref} // '') eq $ref) { $ack = $f; last }
        next unless $f->{type} eq 'message' && ($f->{kind} // '') eq 'text';
        $n_sync++;
        $after = $f->{id};
    }
    last unless $ack && $ack->{type} eq 'ack';
    $more = $ack->{more};
    $pages++;
}
@{ $flood->{pending} } = ();
ok !$more, "an agent's sync of 800 messages of 9 KB ends";
cmp_ok $pages, '>', 1, "... in pages that fit its socket ($pages)";
cmp_ok $n_sync, '>=', 800, "... with every message ($n_sync)";
unlike nginx_error_log($mark), qr/reads too slowly/,
    'no socket closed for its history';
$back->close;

$_->close for grep { $_ } $cust, $agent, $fast, $flood;
$slow->drop;

unlike nginx_error_log(), qr/\[(alert|crit|emerg)\]/,
    'no alert in the error log';
nginx_twin_stop($prefix_b);
is valgrind_report(), '', 'valgrind: clean' if $t::CsqUtil::UseValgrind;

done_testing();
