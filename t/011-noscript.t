# issue #3: after SCRIPT FLUSH (as after a Redis restart or failover) the
# next call still succeeds: NOSCRIPT -> SCRIPT LOAD -> EVALSHA again.

use strict;
use warnings;

use Digest::SHA qw(sha1_hex);
use Test::More;
use t::CsqUtil;

redis_start();

nginx_start(workers => 2, log_level => 'info',
            http_config => <<'_EOC_', conf => <<'_EOC_');
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT pool=2;
_EOC_
    location = /s {
        csq_status;
    }
_EOC_

open my $fh, '<', 'ngx_csq_module/redis/status.lua' or die $!;
my $sha = sha1_hex(do { local $/; <$fh> });
close $fh;

my ($s, $h, $b) = http_get('/s');
is $s, 200, 'status is up';

is_deeply redis_cmd('SCRIPT', 'EXISTS', $sha), [1],
    'the status script was loaded on connect, under its build-time SHA1';

redis_cmd('SCRIPT', 'FLUSH');
is_deeply redis_cmd('SCRIPT', 'EXISTS', $sha), [0], 'script cache flushed';

for my $i (1 .. 20) {
    ($s, $h, $b) = http_get('/s');
    is $s, 200, "after SCRIPT FLUSH: request $i is 200" or diag $b;
    like $b, qr/^\{"redis":"up",/, "after SCRIPT FLUSH: request $i is up";
}

is_deeply redis_cmd('SCRIPT', 'EXISTS', $sha), [1], 'the script is back';

my $log = nginx_error_log();

like $log, qr/\[info\].*csq: redis: script "status" not cached, loading it/,
    'the reload is logged at info';
unlike $log, qr/\[(?:error|alert|crit)\]/, 'nothing logged as an error';

nginx_stop();

is valgrind_report(), '', 'valgrind: clean';

done_testing();
