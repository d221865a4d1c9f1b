# issue #11 section 6 (R5.1): the fault drills in short (make drill runs
# them at length: bench/drill.sh).  Chat load on customer and agent
# sockets (bench/drill.js, 3 pairs), and in the middle of it a worker is
# killed with -9, nginx reloads, Redis restarts (AOF on), Redis drops
# the workers' pub/sub connections; after each, every acknowledged
# message is in its log exactly once and every socket side got every
# entry exactly once, in order.  Then a reconnect storm (bench/storm.js,
# 300 sockets): all back, none lost, no worker gone or grown.

use strict;
use warnings;

use IPC::Open2 ();
use Test::More;
use t::CsqUtil;
use t::CsqApi;

plan skip_all => 'no node or bench/node_modules (make deps-test)'
    unless -d 'bench/node_modules/ws' && `node --version 2>/dev/null`;
plan skip_all => 'not under valgrind (the drills time their faults)'
    if $t::CsqUtil::UseValgrind;

my @aof = (args => ['--appendonly', 'yes', '--appendfsync', 'always']);
redis_start(@aof);
my $port = api_nginx_start(workers => 2, log_level => 'info',
                           http_config => "    csq_trusted 127.0.0.1;\n");
my $base = "http://127.0.0.1:$port";
my $plan = nginx_prefix() . '/drill.plan';

my $out = `cd bench && node relay-setup.js $base $Secret 3 2>&1 > $plan`;
is $?, 0, 'three pairs: conversations, agents logged in' or diag $out;

# the worker holding the most of the load's sockets
sub busiest_worker {
    my %n = map { $_ => 0 } nginx_worker_pids();
    for (`ss -tnpH state established '( sport = :$port )'`) {
        $n{$1}++ if /pid=(\d+),/ && exists $n{$1};
    }
    my ($w) = sort { $n{$b} <=> $n{$a} } keys %n;
    return $w;
}

my $mark = nginx_error_log_size();
my $pid = IPC::Open2::open2(my $from, my $to, 'node', 'bench/drill.js',
                            $base, $plan, redis_port(), 'bench', 3, 20,
                            qw(kill-9-worker reload redis-restart
                               pubsub-kill));
$to->autoflush(1);

my %drill;
while (my $line = <$from>) {
    chomp $line;
    if ($line eq 'FAULT kill-9-worker') {
        my $w = busiest_worker();
        kill 'KILL', $w;
        print $to "worker $w killed\n";
    } elsif ($line eq 'FAULT reload') {
        print $to (nginx_reload() ? "reloaded\n" : "reload failed\n");
    } elsif ($line eq 'FAULT redis-restart') {
        redis_restart(@aof);
        print $to "redis restarted\n";
    } elsif ($line eq 'FAULT pubsub-kill') {
        my $n = redis_cmd('CLIENT', 'KILL', 'TYPE', 'pubsub');
        print $to "$n pub/sub connections killed\n";
    } elsif ($line =~ /^DRILL (\S+) (ok|FAIL): (.*)$/) {
        $drill{$1} = [$2, $3];
    } else {
        diag $line;
    }
}
waitpid $pid, 0;
is $? >> 8, 0, 'the drill client ran to the end';

for my $name (qw(kill-9-worker reload redis-restart pubsub-kill)) {
    my ($verdict, $figures) = @{ $drill{$name} || ['none', 'no line'] };
    is $verdict, 'ok', "R5.1 drill $name: nothing acknowledged lost, "
                       . 'nothing delivered twice or out of order'
        or diag $figures;
    note "$name: $figures";
}
like $drill{'kill-9-worker'}[1] // '', qr/sockets closed [1-9]/,
     '... the killed worker held sockets';
like $drill{reload}[1] // '', qr/sockets closed [1-9]/,
     '... the reload closed sockets';
like $drill{'redis-restart'}[1] // '', qr/"redis_(unavailable|error)":\d/,
     '... sends were refused while Redis was away';
like $drill{'pubsub-kill'}[1] // '', qr/\(([1-9]\d*) pub\/sub connections/,
     '... pub/sub connections were dropped';

# a reconnect storm in short (bench/storm.sh: 10,000 in 5 s)
my $storm = `cd bench && node storm.js $base $Secret 300 1000 @{[ nginx_pid() ]} 2>&1`;
like $storm, qr/^STORM ok$/m,
     'a reconnect storm: 300 sockets dropped, all back within a second, '
     . 'each sends, no worker gone or grown' or diag $storm;
note $storm;

my @bad = grep { !/exited on signal 9/ }
          nginx_error_log($mark) =~ /^(.*\[(?:alert|crit|emerg)\].*)$/mg;
is scalar(@bad), 0, 'no alert but the killed worker\'s'
    or diag join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)];

done_testing();
