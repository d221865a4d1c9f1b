# issue #11 §3: a worker never aborts when it exits.  Password hashing
# runs in nginx's thread pool; at a reload or stop each pool thread ends
# with pthread_exit, whose first call makes glibc load libgcc_s for the
# unwinder, which raced the worker's exit ("libgcc_s.so.1 must be
# installed for pthread_exit to work", signal 6).  The module has glibc
# load it when a worker starts.  Here: many reloads while logins keep the
# pool busy, then no worker may have died on a signal.

use strict;
use warnings;

use IO::Socket::INET;
use POSIX ();
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi;
use t::CsqProc qw(slurp);

my $rounds = $ENV{CSQ_RELOAD_ROUNDS}
             // ($ENV{TEST_NGINX_USE_VALGRIND} ? 4 : 25);

redis_start();
api_nginx_start(workers => 2, log_level => 'notice');
setup_tenant('acme', queues => { q => {} },
             agents => { alice => { queues => ['q'] } });

# logins in flight, without waiting for the answers: the pool's threads
# are hashing when the reload comes
sub logins {
    my ($n) = @_;
    my $body = encode_json({ agent => 'alice', password => 'password1' });
    my @socks;
    for (1 .. $n) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => nginx_port(),
                                      Proto => 'tcp') or next;
        print $s "POST /api/tenants/acme/login HTTP/1.1\r\n"
               . "Host: localhost\r\nContent-Type: application/json\r\n"
               . "Content-Length: " . length($body) . "\r\n"
               . "Connection: close\r\n\r\n$body";
        push @socks, $s;
    }
    # a child reads the answers, so that nginx can close those
    # connections at once (no lingering close holds the old workers)
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        for my $s (@socks) {
            1 while <$s>;
        }
        POSIX::_exit(0);
    }
    close $_ for @socks;
    return $pid;
}

# the deterministic part: every worker has the unwinder from its start
for my $pid (nginx_worker_pids()) {
    my $maps = slurp("/proc/$pid/maps") // '';
    like $maps, qr/libgcc_s\.so/, "worker $pid has libgcc_s loaded";
}

my $mark = nginx_error_log_size();
my $ok = 0;
for my $r (1 .. $rounds) {
    my $child = logins(24);
    $ok++ if nginx_reload();
    waitpid $child, 0;
}
is $ok, $rounds, "$rounds reloads with the thread pool busy";

my $log = nginx_error_log($mark);
my @died = $log =~ /(exited on signal \d+[^\n]*)/g;
is scalar(@died), 0, 'no worker died on a signal'
    or diag join "\n", @died,
       # what glibc or an assertion said, and the log around the death
       grep({ /\S/ } split /\n/, slurp(nginx_prefix() . '/logs/stderr.log')
                                // ''),
       do { my @l = grep { !/\[debug\]/ } split /\n/, $log;
            @l[($#l > 59 ? $#l - 59 : 0) .. $#l] };
unlike $log, qr/libgcc_s/, 'no unwinder complaint';

my $t = login_token('acme', 'alice');
ok $t, 'logins still work after the reloads';

done_testing();
