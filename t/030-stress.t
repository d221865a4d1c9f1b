# issue #4, R3.9: correctness under concurrency.  Two nginx instances x two
# workers on one Redis, hundreds of agents, thousands of arrivals, ends,
# transfers, status flips, claims and leaves from parallel clients; then an
# invariant checker reads Redis: no agent over capacity, no conversation
# assigned twice or waiting twice, none lost, and once the system settles
# none waiting while a matching online agent has room.

use strict;
use warnings;

use File::Path ();
use JSON::PP ();
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi;

my $valgrind = $t::CsqUtil::UseValgrind;
my $AGENTS   = $valgrind ? 40 : 300;
my $CLIENTS  = $valgrind ? 4 : 8;
my $OPS      = $valgrind ? 60 : 700;      # per client
my @QUEUES   = qw(q1 q2 q3 q4);

redis_start();
my $port_a = api_nginx_start(log_level => "info",
                             http_config => "    csq_tick 300ms;\n"
                                            # thousands of arrivals
                                            . "    csq_trusted 127.0.0.1;\n");

# --- a second nginx on the same Redis: the same configuration, own port

my ($port_b, $prefix_b) = nginx_twin('stress-b');
pass 'two nginx instances, two workers each, one Redis';

# --- the tenant: 4 queues (one pick-up), hundreds of agents

my $p = platform_token();
api(PUT => 'tenants/load', {}, token => $p);
for my $q (@QUEUES) {
    api(PUT => "tenants/load/queues/$q",
        { strategy => (qw(round-robin least-busy longest-idle weighted))[substr($q, 1) - 1],
          mode => $q eq 'q4' ? 'pickup' : 'human' }, token => $p);
}
for my $i (1 .. $AGENTS) {
    my @qs = ($QUEUES[$i % 4], $QUEUES[($i + 1) % 4]);
    my ($s) = api(PUT => "tenants/load/agents/a$i",
                  { queues => \@qs, capacity => 1 + $i % 3,
                    weight => 1 + $i % 4, password => 'password1' },
                  token => $p, port => ($i % 2 ? $port_a : $port_b));
    die "agent a$i: $s" unless $s == 201;
    api(POST => "tenants/load/agents/a$i/status",
        { status => $i % 10 ? 'online' : 'offline' }, token => $p);
    # a session of each, as a login opens it (R9.5; without the hashing)
    redis_cmd('ZADD', "csq:{load}:a:a$i:sessions", (time + 3600) * 1000,
              'S1');
}
pass "$AGENTS agents in 4 queues";

sub agent_token { return csq_token('load', $_[0], 'agent', 3600, undef, 'S1') }

# --- parallel clients over both instances

my @kids;
for my $k (1 .. $CLIENTS) {
    my $pid = fork() // die;
    if ($pid) { push @kids, $pid; next; }

    srand($k * 7919);
    my (%seen, @mine, $bad);
    my $port = $k % 2 ? $port_a : $port_b;
    open my $log, '>', "/tmp/csq-stress-$$.log" or die;

    for my $op (1 .. $OPS) {
        my $r = rand;
        my ($s, $j, $raw, $what);

        if ($r < 0.40 || !@mine) {
            $what = 'arrive';
            ($s, $j, $raw) = api(POST => 'tenants/load/conversations',
                { customer => "k$k-" . int(rand(200)),
                  queue => $QUEUES[int rand 4],
                  priority => int(rand(10)) < 2 ? 9 : 0 }, port => $port);
            if ($s == 201) { push @mine, $j->{id}; print $log "$j->{id}\n"; }
        } elsif ($r < 0.60) {
            $what = 'end';
            ($s, $j, $raw) = api(POST => "tenants/load/conversations/$mine[rand @mine]/end",
                                 {}, token => $p, port => $port);
        } elsif ($r < 0.68) {
            $what = 'transfer';
            my $to = rand() < 0.5 ? { queue => $QUEUES[int rand 3] }
                                  : { agent => 'a' . (1 + int rand $AGENTS) };
            ($s, $j, $raw) = api(POST => "tenants/load/conversations/$mine[rand @mine]/transfer",
                                 $to, token => $p, port => $port);
        } elsif ($r < 0.82) {
            $what = 'status';
            my $st = (qw(online online online invisible suspended offline))[int rand 6];
            ($s, $j, $raw) = api(POST => 'tenants/load/agents/a' . (1 + int rand $AGENTS) . '/status',
                                 rand() < 0.2 ? { reception => rand() < 0.5 ? JSON::PP::true() : JSON::PP::false() }
                                              : { status => $st },
                                 token => $p, port => $port);
        } elsif ($r < 0.94) {
            $what = 'claim';
            my $a = 'a' . (1 + int rand $AGENTS);
            ($s, $j, $raw) = api(POST => "tenants/load/conversations/$mine[rand @mine]/claim",
                                 undef, token => agent_token($a),
                                 port => $port);
        } else {
            $what = 'leave';
            ($s, $j, $raw) = api(POST => "tenants/load/conversations/$mine[rand @mine]/leave",
                                 undef, token => $p, port => $port);
        }

        # refusals are fine; a server error or no answer is not
        if ($s == 0 || ($s >= 500 && !($j && $j->{error}{code} eq 'queue_full'))) {
            $bad++;
            print STDERR "# client $k: $what -> $s " . ($raw // '') . "\n";
        }
    }
    close $log;
    POSIX::_exit($bad ? 1 : 0);
}

my $failed = 0;
for my $kid (@kids) {
    waitpid $kid, 0;
    $failed++ if $?;
}
is $failed, 0, "$CLIENTS clients x $OPS operations: no server error";

# every conversation a client was given
my %given;
for my $kid (@kids) {
    open my $fh, '<', "/tmp/csq-stress-$kid.log" or next;
    chomp(my @ids = <$fh>);
    $given{$_}++ for @ids;
    unlink "/tmp/csq-stress-$kid.log";
}
cmp_ok scalar(keys %given), '>', ($valgrind ? 50 : 1000),
    scalar(keys %given) . ' conversations created';
is scalar(grep { $given{$_} > 1 } keys %given), 0, 'no id given twice';

# let the ticks settle what waits
sleep 1.5;

# --- the invariant checker, on Redis itself

my $T = 'csq:{load}:';
sub h { my %x = @{ redis_cmd('HGETALL', $T . $_[0]) }; return \%x }

my @agents = @{ redis_cmd('SMEMBERS', "${T}agents") };
my %queues_of;
my (%in_convs, %in_wait, @problems);

for my $a (@agents) {
    my $ah = h("a:$a");
    my $convs = redis_cmd('SMEMBERS', "${T}a:$a:convs");
    push @problems, "agent $a load $ah->{load} != " . scalar(@$convs)
        if $ah->{load} != @$convs;
    push @problems, "agent $a over capacity: $ah->{load} > $ah->{capacity}"
        if $ah->{load} > $ah->{capacity};
    push @{ $in_convs{$_} }, $a for @$convs;
    push @{ $in_wait{$_} }, "a:$a" for @{ redis_cmd('ZRANGE', "${T}a:$a:wait", 0, -1) };
    $queues_of{$a} = redis_cmd('SMEMBERS', "${T}a:$a:queues");
}
for my $q (@QUEUES) {
    push @{ $in_wait{$_} }, "q:$q" for @{ redis_cmd('ZRANGE', "${T}q:$q:wait", 0, -1) };
}

my $seq = h('tenant')->{seq};
my %state_count;
for my $n (1 .. $seq) {
    my $cid = "c$n";
    my $c = h("c:$cid");
    if (!%$c) { push @problems, "conversation $cid lost"; next; }
    $state_count{$c->{state}}++;
    my $owners = $in_convs{$cid} || [];
    my $waits = $in_wait{$cid} || [];
    if ($c->{state} eq 'active') {
        push @problems, "$cid active with " . scalar(@$owners) . " agents"
            unless @$owners == 1 && $owners->[0] eq $c->{agent};
        push @problems, "$cid active and waiting in @$waits" if @$waits;
    } elsif ($c->{state} eq 'queued') {
        push @problems, "$cid queued in " . scalar(@$waits) . " lists"
            unless @$waits == 1;
        push @problems, "$cid queued and held by @$owners" if @$owners;
    } else {
        push @problems, "$cid $c->{state} but held or waiting"
            if @$owners || @$waits;
    }
}
for my $cid (keys %given) {
    push @problems, "conversation $cid given to a client is not in Redis"
        unless redis_cmd('EXISTS', "${T}c:$cid");
}

# settled: nothing waits in a human queue while an agent of it could take it
for my $q (grep { $_ ne 'q4' } @QUEUES) {
    my $waiting = redis_cmd('ZCARD', "${T}q:$q:wait");
    next unless $waiting;
    for my $a (@{ redis_cmd('ZRANGE', "${T}q:$q:agents", 0, -1) }) {
        my $ah = h("a:$a");
        if (($ah->{status} eq 'online' || $ah->{status} eq 'invisible')
            && $ah->{reception} ne '0' && $ah->{load} < $ah->{capacity})
        {
            push @problems, "$q has $waiting waiting while $a has room";
            last;
        }
    }
}

# the availability index of every queue is exact: the library's own check
# compares it with a recomputation from the agents (#10 §2)
my ($lib) = map { my %l = @$_; $l{library_name} }
                @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
my $check = redis_cmd('FCALL_RO', "${lib}_queue_index_check", 1,
                      "${T}tenant", int(time * 1000), '', 'platform', '',
                      '', '', '');
my $report = JSON::PP::decode_json($check->[1]);
is $report->{queues}, scalar @QUEUES, 'the index check saw every queue';
push @problems, map { "index: $_" } @{ $report->{problems} };

is_deeply \@problems, [], 'R3.9 invariants hold'
    or diag join "\n", @problems[0 .. ($#problems > 20 ? 20 : $#problems)];
diag 'conversations by state: '
    . join(', ', map { "$_ $state_count{$_}" } sort keys %state_count);

unlike nginx_error_log(), qr/\[(?:alert|crit|emerg)\]|exited on signal/,
    'instance A: no alert, no crash';
my $log_b = do { local $/; open my $fh, '<', "$prefix_b/logs/error.log"; <$fh> // '' };
unlike $log_b, qr/\[(?:alert|crit|emerg)\]|exited on signal/,
    'instance B: no alert, no crash';

nginx_twin_stop($prefix_b);
nginx_stop();
is valgrind_report(), '', 'valgrind: clean (instance A)';
is valgrind_report($prefix_b), '', 'valgrind: clean (instance B)';

done_testing();
