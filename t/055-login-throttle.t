# issue #11 §1 (R9.2): logins cannot be guessed at speed, nor tell which
# agents exist.  Failures are counted per client address and per agent id
# (login_failed.lua): past 5 an address waits 1, 2, 4 ... s (at most 5
# minutes), past 10 an agent id waits the same way but at most 30 s, so
# that guesses from many addresses keep the real agent out for seconds at
# most; a locked try gets 429 rate_limited with Retry-After.  An unknown
# agent costs nginx the same password hashing as a known one.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start(log_level => 'info');
setup_tenant('acme', queues => { q => {} },
             agents => { alice => { queues => ['q'] },
                         bob => { queues => ['q'] } });


# a login from a loopback address of our choice: (status, json, headers)
sub login_from {
    my ($from, $agent, $password) = @_;
    return post_from($from, '/api/tenants/acme/login',
                     { agent => $agent, password => $password });
}

# --- an address: 5 failures, then it waits

my @st = map { (login_from('127.0.0.2', 'alice', "wrong-pass-$_"))[0] } 1 .. 5;
is "@st", '401 401 401 401 401', 'five wrong passwords: 401 each';
my ($s, $j, $h) = login_from('127.0.0.2', 'alice', 'wrong-pass-6');
is $s, 401, 'the sixth is checked (and counted)';
($s, $j, $h) = login_from('127.0.0.2', 'alice', 'password1');
is $s, 429, 'R9.2 then the address waits, even with the right password';
is $j->{error}{code}, 'rate_limited', '... rate_limited';
like $h->{'retry-after'} // '', qr/^[12]$/, '... Retry-After: 1 s at first';
($s) = login_from('127.0.0.3', 'alice', 'password1');
is $s, 200, 'another address logs alice in meanwhile';
sleep(($h->{'retry-after'} // 1) + 0.2);
($s) = login_from('127.0.0.2', 'alice', 'password1');
is $s, 200, '... and this one too once the wait is over';

# --- an agent id: guesses from many addresses lock it, briefly

for my $i (1 .. 10) {
    ($s) = login_from("127.0.1.$i", 'bob', "guess-pass-$i");
    die "guess $i: $s\n" unless $s == 401;
}
($s) = login_from('127.0.1.11', 'bob', 'guess-pass-11');
is $s, 401, 'ten failures for bob from ten addresses (one each), an 11th';
($s, $j, $h) = login_from('127.0.2.1', 'bob', 'password1');
is $s, 429, 'R9.2 then bob waits, from any address';
cmp_ok $h->{'retry-after'} // 99, '<=', 30, '... for 30 s at most';
my $locked = redis_cmd('PTTL', 'csq:{acme}:lock:a:bob');
ok $locked > 0 && $locked <= 30000, "... the lock says so too ($locked ms)";
cmp_ok redis_cmd('PTTL', 'csq:{acme}:lf:a:bob'), '>', 0,
    'the counts expire by themselves';

# --- unknown agents cost the same work: compared with known ones over
# rounds of each (medians; a wide margin, this is no benchmark)

sub median_ms {
    my ($agent, $from) = @_;
    my @t;
    for my $i (1 .. 9) {
        my $t0 = time;
        my ($s) = login_from($from . $i, $agent, 'not-the-password');
        push @t, (time - $t0) * 1000;
    }
    @t = sort { $a <=> $b } @t;
    return $t[4];
}
my $known = median_ms('alice', '127.0.3.');
my $unknown = median_ms('nobody-here', '127.0.4.');
cmp_ok $unknown / $known, '>', 0.5,
    sprintf('R9.2 an unknown agent takes as long as a known one '
            . '(%.1f ms against %.1f ms): no timing tells who exists',
            $unknown, $known);

done_testing();
