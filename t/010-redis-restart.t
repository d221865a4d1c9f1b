# issue #3: Redis stopped under a running nginx -> 503 JSON within the
# timeout, no hang, no worker crash; Redis back -> 200 without a reload;
# Redis hung -> 503 after csq_redis_timeout; a client that leaves while its
# command is in flight leaves nothing behind.

use strict;
use warnings;

use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time sleep);
use t::CsqUtil;

my $factor = $t::CsqUtil::TimeoutFactor;

redis_start();

nginx_start(workers => 2, log_level => 'info',
            http_config => <<'_EOC_', conf => <<'_EOC_');
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT pool=2;
    csq_redis_timeout 1s;
_EOC_
    location = /s {
        csq_status;
    }
_EOC_

sub status {
    my ($s, $h, $b) = http_get('/s');
    return ($s // 0, $b // '');
}

sub wait_up {
    my $deadline = time + 5 * $factor;
    my $s = 0;
    while (time < $deadline) {
        ($s) = status();
        return 1 if $s == 200;
        sleep 0.05;
    }
    return 0;
}

ok wait_up(), 'status is up';

my @workers = sort { $a <=> $b } nginx_worker_pids();
is scalar @workers, 2, 'two workers';

for my $i (1 .. 10) {
    my ($s, $b) = status();
    is $s, 200, "up: request $i is 200" or diag $b;
}

# --- Redis stopped: prompt 503s, both workers

redis_stop();

for my $i (1 .. 6) {
    my $t0 = time;
    my ($s, $b) = status();
    my $took = time - $t0;

    is $s, 503, "Redis stopped: request $i is 503";
    like $b, qr/^\{"error":\{"code":"redis_(?:unavailable|timeout)","message":"[^"]+"\}\}$/,
        "Redis stopped: request $i has the JSON error shape";
    cmp_ok $took, '<', 1.5 * $factor,
        "Redis stopped: request $i answered within the timeout";
}

# --- Redis back: 200 again, without a reload, same workers

redis_restart();

ok wait_up(), 'Redis restarted: status is up again without a reload';

for my $i (1 .. 10) {
    my ($s, $b) = status();
    is $s, 200, "after restart: request $i is 200" or diag $b;
}

is_deeply [sort { $a <=> $b } nginx_worker_pids()], \@workers,
    'no worker died or was replaced';

# --- Redis hung: the command timer answers

redis_pause();

{
    my $t0 = time;
    my ($s, $b) = status();
    my $took = time - $t0;

    is $s, 503, 'Redis hung: 503';
    like $b, qr/"code":"redis_timeout"/, 'Redis hung: redis_timeout';
    cmp_ok $took, '>=', 0.9, 'Redis hung: not before csq_redis_timeout';
    cmp_ok $took, '<', 2 * $factor, 'Redis hung: soon after it';
}

# --- clients that leave while their command waits on a hung Redis

for my $i (1 .. 20) {
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => nginx_port(),
                                     Proto => 'tcp')
        or die "connect: $!";
    print $sock "GET /s HTTP/1.1\r\nHost: localhost\r\n\r\n";
    sleep 0.01;
    close $sock;
}

sleep 0.3;
redis_resume();

ok wait_up(), 'Redis resumed: status is up';

for my $i (1 .. 10) {
    my ($s, $b) = status();
    is $s, 200, "after resume: request $i is 200" or diag $b;
}

is_deeply [sort { $a <=> $b } nginx_worker_pids()], \@workers,
    'still the same workers';

my $log = nginx_error_log();

like $log, qr/csq: redis 127\.0\.0\.1:\d+: link \d lost/,
    'the lost link is logged';
like $log, qr/\[notice\].*csq: redis 127\.0\.0\.1:\d+: link \d connected again/,
    'the reconnection is logged';
like $log, qr/\[warn\].*"status" timed out after 1000ms/,
    'the timeout is logged';
unlike $log, qr/\[(?:alert|crit|emerg)\]|exited on signal/,
    'no alert, no crash';

nginx_stop();

is valgrind_report(), '', 'valgrind: clean';

done_testing();
