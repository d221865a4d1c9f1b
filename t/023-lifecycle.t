# issue #4: conversation lifecycle and supervisor actions: transfer (R4.4),
# pick-up claims with exactly one winner (R3.7), supervisor assign,
# priority and waiting list (R3.8), customer leave and abandon (R4.5,
# R4.9), team status (R2.5), deletes; conflicts are 409 and change nothing.

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use Test::More;
use t::CsqUtil;
use t::CsqApi;

redis_start();
api_nginx_start();

my $p = setup_tenant('acme',
    queues => { sales => {}, vip => {}, pick => { mode => 'pickup' } },
    agents => {
        alice => { queues => ['sales', 'pick'], capacity => 1, order => 1 },
        bob   => { queues => ['sales', 'pick'], capacity => 1, order => 2 },
        carol => { queues => ['vip'], capacity => 2 },
        sam   => { role => 'supervisor', capacity => 0 },
    });

my $alice = login_token('acme', 'alice');
my $bob = login_token('acme', 'bob');
my $sam = login_token('acme', 'sam');

sub arrive {
    my ($customer, $queue, %more) = @_;
    my ($s, $j, $raw) = api(POST => 'tenants/acme/conversations',
                            { customer => $customer, queue => $queue, %more });
    die "arrive: $s $raw" unless $s == 201;
    return $j;
}

sub conv {
    my ($s, $j) = api(GET => "tenants/acme/conversations/$_[0]", undef,
                      token => $p);
    return $j;
}

sub load_of {
    my ($s, $j) = api(GET => "tenants/acme/agents/$_[0]", undef, token => $p);
    return $j->{load};
}

my ($s, $j);

# --- transfer to an agent (R4.4)

my $c1 = arrive('u1', 'sales');
is $c1->{agent}{id}, 'alice', 'c1 to alice';
like $c1->{customer_token}, qr/^[\w-]+\.[\w-]{43}$/,
    'the customer gets a token of its own';

($s, $j) = api(POST => "tenants/acme/conversations/$c1->{id}/transfer",
               { agent => 'carol' }, token => $alice);
is $s, 200, 'R4.4 alice transfers c1 to carol';
is $j->{agent}{id}, 'carol', 'R4.4 c1 is with carol';
is load_of('alice'), 0, 'R4.4 alice has room again';
is load_of('carol'), 1, 'R4.4 carol carries it';

($s, $j) = api(POST => "tenants/acme/conversations/$c1->{id}/transfer",
               { agent => 'carol' }, token => $p);
is $s, 409, 'R4.4 transfer to the agent it is with -> 409';

api(POST => 'tenants/acme/agents/bob/status', { status => 'offline' },
    token => $p);
($s, $j) = api(POST => "tenants/acme/conversations/$c1->{id}/transfer",
               { agent => 'bob' }, token => $p);
is $s, 409, 'R4.4 transfer to an offline agent -> 409';
is $j->{error}{code}, 'agent_unavailable', 'R4.4 agent_unavailable';
is conv($c1->{id})->{agent}{id}, 'carol', 'R4.4 and nothing moved';
api(POST => 'tenants/acme/agents/bob/status', { status => 'online' },
    token => $p);

($s, $j) = api(POST => "tenants/acme/conversations/$c1->{id}/transfer",
               { agent => 'bob' }, token => $alice);
is $s, 403, 'R4.4 alice cannot transfer what is not hers';

($s, $j) = api(POST => "tenants/acme/conversations/$c1->{id}/transfer",
               { agent => 'bob', queue => 'sales' }, token => $p);
is $s, 400, 'R4.4 agent and queue together -> 400';

# --- transfer to a queue: routed there, the freed agent pulls (R4.4, R3.5)

my $c2 = arrive('u2', 'sales');    # -> bob (alice is free? round-robin)
my $c3 = arrive('u3', 'sales');
my %with = map { my $c = conv($_); ($_ => $c->{agent} ? $c->{agent}{id} : '') }
           ($c2->{id}, $c3->{id});
is_deeply [sort values %with], ['alice', 'bob'], 'c2, c3 to alice and bob';
my $c4 = arrive('u4', 'sales');
is $c4->{state}, 'queued', 'c4 waits: sales is full';

my $from = $with{$c2->{id}};
($s, $j) = api(POST => "tenants/acme/conversations/$c2->{id}/transfer",
               { queue => 'vip' }, token => $p);
is $s, 200, 'R4.4 c2 to the vip queue';
is $j->{agent}{id}, 'carol', 'R4.4 routed to carol there';
is $j->{pulled}, 1, 'R4.4 the agent it left took the next waiting';
is conv($c4->{id})->{agent}{id}, $from, 'R3.5 c4 went to that agent';

# --- pick-up: two claims at once, exactly one wins (R3.7)

for my $round (1 .. 5) {
    # both free
    for my $c (@{ (api(GET => 'tenants/acme/agents/alice/conversations',
                       undef, token => $p))[1]{active} },
               @{ (api(GET => 'tenants/acme/agents/bob/conversations',
                       undef, token => $p))[1]{active} })
    {
        api(POST => "tenants/acme/conversations/$c->{id}/end", {},
            token => $p);
    }

    my $pc = arrive("pick$round", 'pick');
    is $pc->{state}, 'queued', "R3.7 round $round: waits in the pick-up list";

    # the two claims are written before either is read
    my @socks;
    for my $tok ($alice, $bob) {
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                         PeerPort => nginx_port()) or die;
        push @socks, $sock;
    }
    for my $i (0, 1) {
        syswrite $socks[$i],
            "POST /api/tenants/acme/conversations/$pc->{id}/claim HTTP/1.1\r\n"
            . "Host: x\r\nConnection: close\r\nContent-Length: 0\r\n"
            . "Authorization: Bearer " . ($alice, $bob)[$i] . "\r\n\r\n";
    }
    my @codes;
    for my $sock (@socks) {
        local $/;
        my $resp = <$sock>;
        push @codes, $resp =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0;
    }
    is_deeply [sort @codes], [200, 409],
        "R3.7 round $round: one claim wins, the other gets 409";
    my $cv = conv($pc->{id});
    is $cv->{state}, 'active', "R3.7 round $round: active once";
    is load_of('alice') + load_of('bob'), 1,
        "R3.7 round $round: exactly one agent carries it";
}

# --- supervisor: waiting list, priority, assign (R3.8)

api(PUT => 'tenants/acme/agents/carol', { capacity => 2 }, token => $p);
my $w1 = arrive('w1', 'vip');
my $w2 = arrive('w2', 'vip');
# carol has c1 and c2: both new ones wait
is $w1->{state}, 'queued', 'w1 waits';
is $w2->{position}, 2, 'w2 second';

($s, $j) = api(GET => 'tenants/acme/waiting', undef, token => $alice);
is $s, 403, 'R3.8 an agent cannot see the waiting list';
($s, $j) = api(GET => 'tenants/acme/waiting', undef, token => $sam);
is $s, 200, 'R3.8 a supervisor can';
my ($vipw) = grep { $_->{queue} eq 'vip' } @{ $j->{queues} };
is_deeply [map { $_->{id} } @{ $vipw->{waiting} }], [$w1->{id}, $w2->{id}],
    'R3.8 vip holds w1 then w2';

($s, $j) = api(POST => "tenants/acme/conversations/$w2->{id}/priority",
               { priority => 9 }, token => $sam);
is $s, 200, 'R3.8 priority raised';
is $j->{position}, 1, 'R3.8 w2 is now first';
is conv($w1->{id})->{position}, 2, 'R3.8 w1 second';

($s) = api(POST => "tenants/acme/conversations/$w2->{id}/priority",
           { priority => 10 }, token => $sam);
is $s, 400, 'R3.8 priority 10 -> 400';

# alice is free (her pick-up conversation may be with bob): free both
for my $a ('alice', 'bob') {
    for my $c (@{ (api(GET => "tenants/acme/agents/$a/conversations",
                       undef, token => $p))[1]{active} }) {
        api(POST => "tenants/acme/conversations/$c->{id}/end", {},
            token => $p);
    }
}

($s, $j) = api(POST => "tenants/acme/conversations/$w1->{id}/assign",
               { agent => 'alice' }, token => $sam);
is $s, 200, 'R3.8 a supervisor assigns w1 to alice (not in vip)';
is $j->{agent}{id}, 'alice', 'R3.8 w1 with alice';
($s, $j) = api(POST => "tenants/acme/conversations/$w2->{id}/assign",
               { agent => 'alice' }, token => $sam);
is $s, 409, 'R3.8 but not over her capacity';
is conv($w2->{id})->{state}, 'queued', 'R3.8 w2 still waits';
($s, $j) = api(POST => "tenants/acme/conversations/$w1->{id}/assign",
               { agent => 'bob' }, token => $sam);
is $s, 409, 'R3.8 an active conversation is not reassigned by assign';

# --- the customer leaves (R4.5, R4.9)

my $tok = $w2->{customer_token};
($s, $j) = api(POST => "tenants/acme/conversations/$w1->{id}/leave", undef,
               token => $tok);
is $s, 403, "R4.9 a customer cannot leave another's conversation";
($s, $j) = api(POST => "tenants/acme/conversations/$w2->{id}/leave", undef,
               token => $tok);
is $s, 200, 'R4.9 the waiting customer leaves';
is $j->{state}, 'abandoned', 'R4.9 recorded as abandoned';
is redis_cmd('ZSCORE', 'csq:{acme}:cb:open', "chat.$w2->{id}") > 0, 1,
    'R4.9 on the callback list';
($s, $j) = api(GET => 'tenants/acme/queues/vip', undef, token => $p);
is_deeply $j->{waiting}, [], 'R4.9 and out of the queue';
($s) = api(POST => "tenants/acme/conversations/$w2->{id}/leave", undef,
           token => $tok);
is $s, 409, 'R4.9 leaving twice -> 409';

($s, $j) = api(POST => "tenants/acme/conversations/$w1->{id}/leave", undef,
               token => $w1->{customer_token});
is $s, 200, 'R4.5 the served customer leaves';
is $j->{state}, 'ended', 'R4.5 ended';
is $j->{end_reason}, 'customer', 'R4.5 by the customer';
is load_of('alice'), 0, 'R4.5 the agent has room again';

($s) = api(POST => "tenants/acme/conversations/$w1->{id}/end", {},
           token => $p);
is $s, 409, 'R4.5 ending an ended conversation -> 409';

# --- team status (R2.5)

($s, $j) = api(GET => 'tenants/acme/agents', undef, token => $sam);
is $s, 200, 'R2.5 a supervisor sees the team';
my ($ta) = grep { $_->{id} eq 'alice' } @{ $j->{agents} };
cmp_ok $ta->{today}{taken}, '>=', 3, 'R2.5 conversations taken today';
my ($tb) = grep { $_->{id} eq 'bob' } @{ $j->{agents} };
cmp_ok $tb->{today}{offline_ms}, '>', 0, 'R2.5 time offline today';
is $ta->{status}, 'online', 'R2.5 status';

# --- deletes

($s) = api(DELETE => 'tenants/acme/agents/carol', undef, token => $p);
is $s, 409, 'an agent with conversations is not deleted';
($s) = api(DELETE => 'tenants/acme/queues/pick', undef, token => $sam);
is $s, 403, 'a supervisor cannot delete queues';
($s) = api(DELETE => 'tenants/acme/queues/pick', undef, token => $p);
is $s, 200, 'an empty queue is deleted';
($s) = api(GET => 'tenants/acme/queues/pick', undef, token => $p);
is $s, 404, 'and gone';
($s, $j) = api(GET => 'tenants/acme/agents/alice', undef, token => $p);
is_deeply $j->{queues}, ['sales'], 'and gone from its agents';
($s) = api(DELETE => 'tenants/acme/agents/sam', undef, token => $p);
is $s, 200, 'an agent without conversations is deleted';
($s) = api(POST => 'tenants/acme/login',
           { agent => 'sam', password => 'password1' });
is $s, 401, 'and cannot log in';

unlike nginx_error_log(), qr/\[(?:error|alert|crit|emerg)\]/,
    'nothing logged as an error';

nginx_stop();
is valgrind_report(), '', 'valgrind: clean';

done_testing();
