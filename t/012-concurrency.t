# issue #3: 200 concurrent requests across worker_processes 2 are all
# answered correctly, over a pool of a few Redis connections per worker
# (many commands in flight on each); pipelined keepalive requests too.

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time);
use t::CsqUtil;

my $clients = 200;

redis_start();

nginx_start(workers => 2, log_level => 'info',
            http_config => <<'_EOC_', conf => <<'_EOC_');
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT pool=2;
_EOC_
    location = /s {
        csq_status;
    }
_EOC_

my ($s) = http_get('/s');
is $s, 200, 'status is up';

# all connections open and all requests written before any is read

my (@socks, %buf);

for my $i (1 .. $clients) {
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => nginx_port(),
                                     Proto => 'tcp')
        or die "connect $i: $!";
    push @socks, $sock;
}

for my $i (0 .. $#socks) {
    my $body = qq({"echo":"client-$i"});
    syswrite $socks[$i], "POST /s HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Length: " . length($body)
        . "\r\n\r\n$body";
}

my $sel = IO::Select->new(@socks);
my $deadline = time + 10 * $t::CsqUtil::TimeoutFactor;

while ($sel->count && time < $deadline) {
    for my $sock ($sel->can_read(0.5)) {
        my $n = sysread $sock, my $chunk, 65536;
        if (!$n) {
            $sel->remove($sock);
            close $sock;
            next;
        }
        $buf{"$sock"} .= $chunk;
    }
}

is $sel->count, 0, 'every connection was answered and closed';

my ($ok, %pids) = (0);

for my $i (0 .. $#socks) {
    my $resp = $buf{"$socks[$i]"} // '';
    if ($resp =~ m{^HTTP/1\.1 200 OK\r\n.*\r\n\r\n\{"redis":"up",.*"worker":(\d+),"echo":"client-$i"\}$}s) {
        $ok++;
        $pids{$1}++;
    } else {
        diag "client $i: " . substr($resp, 0, 300);
    }
}

is $ok, $clients, "all $clients concurrent requests got their own answer";
diag 'answers per worker: '
    . join(', ', map { "$_: $pids{$_}" } sort keys %pids);

# keepalive: 50 pipelined requests on one connection, answered in order

my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                 PeerPort => nginx_port(), Proto => 'tcp')
    or die "connect: $!";

my $req = '';
for my $i (1 .. 50) {
    my $body = qq({"echo":"p$i"});
    $req .= "POST /s HTTP/1.1\r\nHost: localhost\r\n"
        . ($i == 50 ? "Connection: close\r\n" : '')
        . "Content-Length: " . length($body) . "\r\n\r\n$body";
}
syswrite $sock, $req;

my $all = '';
while (sysread $sock, my $chunk, 65536) {
    $all .= $chunk;
}
close $sock;

my @echo = $all =~ /"echo":"(p\d+)"\}/g;
is_deeply \@echo, [map { "p$_" } 1 .. 50],
    '50 pipelined requests answered in order';

# the pool: a few Redis connections per worker served all of it

my $list = redis_cmd('CLIENT', 'LIST');
my $conns = () = $list =~ /^id=/mg;
cmp_ok $conns, '<=', 2 * 2 + 1, "Redis saw only the pools ($conns clients)";

unlike nginx_error_log(), qr/\[(?:error|alert|crit)\]/, 'nothing logged as an error';

nginx_stop();

is valgrind_report(), '', 'valgrind: clean';

done_testing();
