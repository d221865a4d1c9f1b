# issue #4: routing of new conversations: the strategies (R3.1), capacity
# and automatic pulls (R3.5), reception and invisible/offline agents
# (R2.2), priority and max_length (R3.6), rules and the fallback queue
# (R3.2), no-agent queues (R3.4, partly) and input errors that change
# nothing.  Every scenario has a tenant of its own; arrivals that name no
# queue go to its fallback queue "q" unless told otherwise.

use strict;
use warnings;

use Test::More;
use Time::HiRes ();
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start();

my $P = platform_token();

# --- helpers

# setup_tenant(), and a fallback queue for arrivals that name none ("q"
# unless told otherwise)
sub setup { my ($t, %o) = @_; return setup_tenant($t, fallback => 'q', %o) }

# a tenant whose one queue "q" routes by $strategy (none: the default),
# and agents in it, all of capacity $capacity: name => order, or
# name => { order => ..., and more of the agent, capacity included }
sub one_queue {
    my ($t, $strategy, $capacity, @agents) = @_;
    my %agents;
    while (my ($name, $spec) = splice @agents, 0, 2) {
        $agents{$name} = { queues => ['q'], capacity => $capacity,
                        ref $spec ? %$spec : (order => $spec) };
    }
    setup($t, queues => { q => $strategy ? { strategy => $strategy } : {} },
          agents => \%agents);
}

# an arrival that must be refused: 400 invalid_field, the message naming
# $field (three tests named after $what)
sub arrive_invalid {
    my ($t, $body, $field, $what) = @_;
    my ($s, $j, $raw) = arrive($t, %$body);
    is $s, 400, "$what -> 400";
    is $j && $j->{error}{code}, 'invalid_field', "$what: invalid_field"
        or diag $raw;
    like $j && $j->{error}{message}, qr/\b\Q$field\E\b/,
        "$what: the message names \"$field\"";
}

# everything Redis holds for a tenant, to show that nothing changed
sub snapshot {
    my ($t) = @_;
    my %snap;
    for my $k (@{ redis_cmd('KEYS', "csq:{$t}:*") }) {
        my $type = redis_cmd('TYPE', $k);
        my $v;
        if ($type eq 'hash') {
            $v = { @{ redis_cmd('HGETALL', $k) } };
        } elsif ($type eq 'set') {
            $v = [sort @{ redis_cmd('SMEMBERS', $k) }];
        } elsif ($type eq 'zset') {
            $v = redis_cmd('ZRANGE', $k, 0, -1, 'WITHSCORES');
        } elsif ($type eq 'stream') {
            $v = redis_cmd('XLEN', $k);
        } elsif ($type eq 'string') {
            $v = redis_cmd('GET', $k);
        } else {
            $v = $type;
        }
        $snap{$k} = { type => $type, value => $v };
    }
    return \%snap;
}

my ($s, $j, $raw);

# =========================================================================
# R3.1 round-robin: configured order (order, then id), available agents only

{
    my $t = 'rr';
    one_queue($t, 'round-robin', 10, zed => 1, bob => 2, amy => 2);

    my @got = map { agent_of(arrive_ok($t, customer => "u$_")) } 1 .. 6;
    is_deeply \@got, [qw(zed amy bob zed amy bob)],
        'R3.1 round-robin: cycles in configured order (order, then id)';

    set_status($t, 'amy', reception => JSON::PP::false());
    @got = map { agent_of(arrive_ok($t, customer => "v$_")) } 1 .. 4;
    is_deeply \@got, [qw(zed bob zed bob)],
        'R3.1 round-robin: an unavailable agent is skipped, the others cycle';

    set_status($t, 'amy', reception => JSON::PP::true());
    @got = map { agent_of(arrive_ok($t, customer => "w$_")) } 1 .. 3;
    is_deeply \@got, [qw(zed amy bob)],
        'R3.1 round-robin: back in the cycle at its place';
}

# =========================================================================
# R3.1 sequential: the first agent in order is filled before the next

{
    my $t = 'seq';
    one_queue($t, 'sequential', 2, s1 => 1, s2 => 2, s3 => 3);

    my @c = map { arrive_ok($t, customer => "u$_") } 1 .. 5;
    is_deeply [map { agent_of($_) } @c], [qw(s1 s1 s2 s2 s3)],
        'R3.1 sequential: s1 up to capacity, then s2, then s3';

    ($s, $j) = end_conv($t, $c[0]{id});
    is $s, 200, 'R3.1 sequential: s1 ends one';
    is agent_of(arrive_ok($t, customer => 'u6')), 's1',
        'R3.1 sequential: the next goes to s1 again, first in order with room';
}

# =========================================================================
# R3.1 least-busy: the lowest load

{
    my $t = 'lb';
    one_queue($t, 'least-busy', 5, x => 1, y => 2, z => 3);

    my @c = map { arrive_ok($t, customer => "u$_") } 1 .. 6;
    is_deeply [map { load_of($t, $_) } qw(x y z)], [2, 2, 2],
        'R3.1 least-busy: six arrivals spread 2/2/2';

    my %by;
    push @{ $by{ agent_of($_) } }, $_->{id} for @c;
    end_conv($t, $_) for @{ $by{y} };          # y: 0
    end_conv($t, $by{z}[0]);                   # z: 1, x: 2
    is agent_of(arrive_ok($t, customer => 'u7')), 'y',
        'R3.1 least-busy: loads x2 y0 z1 -> y';

    end_conv($t, $_) for @{ $by{x} };          # x: 0, y: 1, z: 1
    is agent_of(arrive_ok($t, customer => 'u8')), 'x',
        'R3.1 least-busy: loads x0 y1 z1 -> x (not the round-robin next)';
}

# =========================================================================
# R3.1 longest-idle: the agent whose last assignment is the oldest

{
    my $t = 'li';
    one_queue($t, 'longest-idle', 10, p => 1,
              q => { order => 2, status => 'offline' },
              r => { order => 3, status => 'offline' });

    is agent_of(arrive_ok($t, customer => 'u1')), 'p',
        'R3.1 longest-idle: only p online -> p';
    set_status($t, 'r', status => 'online');
    is agent_of(arrive_ok($t, customer => 'u2')), 'r',
        'R3.1 longest-idle: r never had one -> r';
    set_status($t, 'q', status => 'online');
    is agent_of(arrive_ok($t, customer => 'u3')), 'q',
        'R3.1 longest-idle: q never had one -> q';
    my @got = map { agent_of(arrive_ok($t, customer => "v$_")) } 1 .. 3;
    is_deeply \@got, [qw(p r q)],
        'R3.1 longest-idle: then p, r, q (oldest assignment first, not '
        . 'configured order)';
}

# =========================================================================
# R3.1 weighted: proportional to weight

{
    my $t = 'wt';
    one_queue($t, 'weighted', 20, heavy => { order => 1, weight => 3 },
              light => { order => 2, weight => 1 });

    my %n;
    $n{ agent_of(arrive_ok($t, customer => "u$_")) }++ for 1 .. 8;
    is_deeply \%n, { heavy => 6, light => 2 },
        'R3.1 weighted: weights 3:1 over 8 arrivals -> 6:2';
}

# R3.1 weighted over many decisions: 8 agents of weight 3 and 8 of weight
# 1 share 10,000 arrivals 3:1 within 2%, and agents of one weight alike.
# The arrivals are FCALLs of the arrive function straight on Redis (the
# decision is the function's; 10,000 requests through nginx would take
# half a minute here)
{
    my $t = 'wt2';
    one_queue($t, 'weighted', 1000,
              (map { ("h$_" => { order => $_, weight => 3 }) } 1 .. 8),
              (map { ("l$_" => { order => 8 + $_, weight => 1 }) } 1 .. 8));
    my ($lib) = map { my %l = @$_; $l{library_name} }
                    @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
    my $now = int(Time::HiRes::time() * 1000);
    my %n;
    for my $i (1 .. 10000) {
        my $r = redis_cmd('FCALL', "${lib}_arrive", 1, "csq:{$t}:tenant",
                          $now + $i, '', 'none', '',
                          qq({"customer":"w$i","queue":"q"}), '');
        my ($agent) = $r->[1] =~ /"agent":\{[^}]*"id":"(\w+)"/;
        $n{$agent // 'none'}++;
    }
    my $heavy = 0;
    $heavy += $n{"h$_"} // 0 for 1 .. 8;
    my $share = $heavy / 10000;
    ok abs($share - 0.75) <= 0.02,
        "R3.1 weighted: weights 3:1 over 10,000 arrivals -> $share of 0.75";
    my @h = sort { $a <=> $b } map { $n{"h$_"} // 0 } 1 .. 8;
    my @l = sort { $a <=> $b } map { $n{"l$_"} // 0 } 1 .. 8;
    ok $h[-1] - $h[0] <= 1 && $l[-1] - $l[0] <= 1,
        "R3.1 weighted: agents of one weight alike (@h; @l)";
}

# =========================================================================
# R3.5 capacity and automatic pulls; pull order priority, then age

{
    my $t = 'cap';
    one_queue($t, 'round-robin', 1, ann => 1, ben => 2);

    my $c1 = arrive_ok($t, customer => 'u1');
    my $c2 = arrive_ok($t, customer => 'u2');
    is_deeply [agent_of($c1), agent_of($c2)], [qw(ann ben)],
        'R3.5 c1 to ann, c2 to ben';

    my $c3 = arrive_ok($t, customer => 'u3');
    is $c3->{state}, 'queued', 'R3.5 both at capacity: c3 waits';
    is $c3->{position}, 1, 'R3.5 c3 at position 1';
    ok defined $c3->{estimated_wait}, 'R3.5 c3 has an estimated wait';
    ok !$c3->{agent}, 'R3.5 c3 has no agent';
    my $c4 = arrive_ok($t, customer => 'u4');
    is $c4->{position}, 2, 'R3.5 c4 waits at position 2';
    my $c5 = arrive_ok($t, customer => 'u5', priority => 3);
    is $c5->{position}, 1, 'R3.5 c5 (priority 3) waits at position 1';
    is_deeply queue_get($t, 'q')->{waiting}, [map { $_->{id} } $c5, $c3, $c4],
        'R3.5 waiting: c5, c3, c4';
    is_deeply [load_of($t, 'ann'), load_of($t, 'ben')], [1, 1],
        'R3.5 agents at capacity got nothing new';

    ($s, $j) = end_conv($t, $c1->{id});
    is $s, 200, 'R3.5 ann ends c1';
    is $j->{pulled}, 1, 'R3.5 ending pulls one';
    is agent_of(conv($t, $c5->{id})), 'ann',
        'R3.5 ann took c5: highest priority first';

    ($s, $j) = end_conv($t, $c2->{id});
    is $j->{pulled}, 1, 'R3.5 ben ends c2 and pulls one';
    is agent_of(conv($t, $c3->{id})), 'ben',
        'R3.5 ben took c3: then the oldest';
    is conv($t, $c4->{id})->{position}, 1, 'R3.5 c4 moves up to position 1';

    my $c6 = arrive_ok($t, customer => 'u6');
    is $c6->{position}, 2, 'R3.5 c6 waits behind c4';

    ($s, $j, $raw) = api(PUT => "tenants/$t/agents/ann", { capacity => 3 },
                         token => $P);
    is $s, 200, 'R3.5 ann capacity raised to 3';
    is $j->{pulled}, 2, 'R3.5 raising capacity pulls two' or diag $raw;
    is agent_of(conv($t, $c4->{id})), 'ann', 'R3.5 c4 now with ann';
    is agent_of(conv($t, $c6->{id})), 'ann', 'R3.5 c6 now with ann';
    is_deeply queue_get($t, 'q')->{waiting}, [], 'R3.5 nobody waits';

    # reception off: ben keeps c3, has room, but gets nothing
    $j = set_status($t, 'ben', reception => JSON::PP::false());
    ok !$j->{reception}, 'R2.2 ben switches reception off';
    ($s, $j) = api(PUT => "tenants/$t/agents/ben", { capacity => 3 },
                   token => $P);
    is $j->{pulled}, 0, 'R2.2 more room with reception off pulls nothing';
    my $c7 = arrive_ok($t, customer => 'u7');
    is $c7->{state}, 'queued',
        'R2.2 c7 waits: ann full, ben has room but reception off';
    is_deeply [map { $_->{id} } @{ agent_convs($t, 'ben')->{active} }],
        [$c3->{id}], 'R2.2 ben keeps c3';
    is conv($t, $c3->{id})->{state}, 'active', 'R2.2 c3 still active';

    $j = set_status($t, 'ben', reception => JSON::PP::true());
    is $j->{pulled}, 1, 'R3.5 reception back on pulls';
    is agent_of(conv($t, $c7->{id})), 'ben', 'R3.5 c7 now with ben';

    # offline, then back online
    set_status($t, 'ben', status => 'offline');
    my $c8 = arrive_ok($t, customer => 'u8');
    is $c8->{state}, 'queued', 'R3.5 c8 waits: ann full, ben offline';
    is load_of($t, 'ben'), 2, 'R2.2 offline ben got nothing';
    $j = set_status($t, 'ben', status => 'online');
    is $j->{pulled}, 1, 'R3.5 coming back online pulls';
    is agent_of(conv($t, $c8->{id})), 'ben', 'R3.5 c8 now with ben';
    is $j->{load}, 3, 'R3.5 ben load 3';
}

# =========================================================================
# R3.5 pull order over all the agent's queues: priority, then the oldest

{
    my $t = 'pull';
    setup($t, fallback => 'a',
        queues => { a => {}, b => {} },
        agents => { mia => { queues => ['a', 'b'], capacity => 1 } });

    my $c0 = arrive_ok($t, customer => 'u0', queue => 'a');
    is agent_of($c0), 'mia', 'R3.5 c0 to mia';
    my $x1 = arrive_ok($t, customer => 'x1', queue => 'a');
    my $x2 = arrive_ok($t, customer => 'x2', queue => 'b');
    my $x3 = arrive_ok($t, customer => 'x3', queue => 'b', priority => 2);
    my $x4 = arrive_ok($t, customer => 'x4', queue => 'a', priority => 2);
    is_deeply [map { $_->{state} } $x1, $x2, $x3, $x4], [('queued') x 4],
        'R3.5 x1..x4 wait (a: x1 p0, x4 p2; b: x2 p0, x3 p2)';

    my @order;
    my $cur = $c0;
    for my $i (1 .. 4) {
        ($s, $j) = end_conv($t, $cur->{id});
        is $j->{pulled}, 1, "R3.5 end $i pulls one";
        my ($next) = @{ agent_convs($t, 'mia')->{active} };
        push @order, $next ? $next->{id} : '';
        $cur = $next or last;
    }
    is_deeply \@order, [map { $_->{id} } $x3, $x4, $x1, $x2],
        'R3.5 pulled across queues: x3, x4 (priority 2, oldest first), '
        . 'then x1, x2';
}

# =========================================================================
# R2.2 invisible counts as online; offline and reception off get nothing

{
    my $t = 'recv';
    one_queue($t, undef, 5, rc => 1,
              ia => { order => 2, capacity => 1, status => 'invisible' },
              ob => { order => 3, status => 'offline' });

    my $c1 = arrive_ok($t, customer => 'u1');
    is agent_of($c1), 'rc', 'R2.2 c1 to rc';

    $j = set_status($t, 'rc', reception => JSON::PP::false());
    is $j->{status}, 'online', 'R2.2 rc stays online';
    ok !$j->{reception}, 'R2.2 with reception off';
    is $j->{load}, 1, 'R2.2 and keeps its conversation';

    my $c2 = arrive_ok($t, customer => 'u2');
    is agent_of($c2), 'ia', 'R2.2 c2 to the invisible agent';

    my $c3 = arrive_ok($t, customer => 'u3');
    is $c3->{state}, 'queued',
        'R2.2 c3 waits: rc reception off, ia full, ob offline';
    is load_of($t, 'ob'), 0, 'R2.2 offline agent got nothing';
    is load_of($t, 'rc'), 1, 'R2.2 reception-off agent got nothing new';
    is agent_of(conv($t, $c1->{id})), 'rc', 'R2.2 c1 still with rc';
    is conv($t, $c1->{id})->{state}, 'active', 'R2.2 c1 still active';
}

# =========================================================================
# R3.6 priority and max_length

{
    my $t = 'prio';
    setup($t,
        queues => { q => { max_length => 3 } },
        agents => { solo => { queues => ['q'], capacity => 1 } });

    my $c1 = arrive_ok($t, customer => 'u1');
    is agent_of($c1), 'solo', 'R3.6 c1 to solo';
    my $c2 = arrive_ok($t, customer => 'u2');
    my $c3 = arrive_ok($t, customer => 'u3');
    is_deeply [$c2->{position}, $c3->{position}], [1, 2],
        'R3.6 c2 and c3 wait at 1 and 2';

    my $vip = arrive_ok($t, customer => 'vip', priority => 9);
    is $vip->{state}, 'queued', 'R3.6 the VIP waits too';
    is $vip->{position}, 1, 'R3.6 the VIP arriving last is at position 1';
    is conv($t, $c2->{id})->{position}, 2, 'R3.6 c2 now second';
    is conv($t, $c3->{id})->{position}, 3, 'R3.6 c3 now third';
    is_deeply queue_get($t, 'q')->{waiting},
        [$vip->{id}, $c2->{id}, $c3->{id}], 'R3.6 waiting: vip, c2, c3';

    my $before = snapshot($t);
    my $qbefore = queue_get($t, 'q');
    ($s, $j, $raw) = arrive($t, customer => 'u5');
    is $s, 503, 'R3.6 max_length 3 reached: 503';
    is $j->{error}{code}, 'queue_full', 'R3.6 code queue_full' or diag $raw;
    ($s, $j) = arrive($t, customer => 'vip2', priority => 9);
    is $s, 503, 'R3.6 a VIP too gets 503 from a full queue';
    is_deeply queue_get($t, 'q'), $qbefore, 'R3.6 queue unchanged';
    is_deeply snapshot($t), $before,
        'R3.6 nothing stored: no conversation created';

    ($s, $j) = end_conv($t, $c1->{id});
    is $j->{pulled}, 1, 'R3.6 solo ends c1 and pulls';
    is agent_of(conv($t, $vip->{id})), 'solo', 'R3.6 the VIP is served first';
    my $c6 = arrive_ok($t, customer => 'u6');
    is $c6->{position}, 3, 'R3.6 room again: c6 accepted at position 3';
}

# R3.6 max_length holds for a pick-up queue too (all of it waits there)
{
    my $t = 'pickfull';
    setup($t, fallback => 'pick',
        queues => { pick => { mode => 'pickup', max_length => 2 } },
        agents => { ag => { queues => ['pick'], capacity => 5 } });

    my @c = map { arrive_ok($t, customer => "u$_") } 1 .. 2;
    is_deeply [map { $_->{state} } @c], ['queued', 'queued'],
        'R3.6 pick-up: two wait to be claimed';
    my $before = snapshot($t);
    ($s, $j, $raw) = arrive($t, customer => 'u3');
    is $s, 503, 'R3.6 pick-up queue holding max_length 2: 503';
    is $j && $j->{error}{code}, 'queue_full', 'R3.6 pick-up: queue_full'
        or diag $raw;
    is_deeply queue_get($t, 'pick')->{waiting}, [map { $_->{id} } @c],
        'R3.6 pick-up: the waiting list is unchanged';
    is_deeply snapshot($t), $before, 'R3.6 pick-up: nothing stored';
}

# =========================================================================
# R3.2 rules pick the queue, else the fallback queue

{
    my $t = 'rules';
    my %q = map { $_ => {} } qw(wa es shoes gold fr_mail general);
    setup_tenant($t, queues => \%q,
        agents => { ag => { queues => [sort keys %q], capacity => 100 } });

    ($s, $j, $raw) = api(PUT => "tenants/$t/rules", {
        rules => [
            { match => { channel => 'whatsapp' }, queue => 'wa' },
            { match => { language => 'es' }, queue => 'es' },
            { match => { product => 'shoes' }, queue => 'shoes' },
            { match => { 'attributes.tier' => 'gold' }, queue => 'gold' },
            { match => { channel => 'email', language => 'fr' },
              queue => 'fr_mail' },
        ],
        fallback_queue => 'general' }, token => $P);
    is $s, 200, 'R3.2 rules set' or diag $raw;

    ($s, $j) = api(GET => "tenants/$t", undef, token => $P);
    is scalar @{ $j->{rules} }, 5, 'R3.2 the rules read back, in order';
    is $j->{rules}[4]{queue}, 'fr_mail', 'R3.2 the last rule read back';
    is $j->{fallback_queue}, 'general', 'R3.2 the fallback reads back';

    my @cases = (
        [{ channel => 'whatsapp' }, 'wa', 'channel'],
        [{ language => 'es' }, 'es', 'language'],
        [{ product => 'shoes' }, 'shoes', 'product'],
        [{ attributes => { tier => 'gold' } }, 'gold', 'attributes.tier'],
        [{ channel => 'email', language => 'fr' }, 'fr_mail',
         'every field of a rule'],
        [{ channel => 'whatsapp', language => 'es' }, 'wa',
         'the first matching rule'],
        [{ channel => 'email', language => 'de' }, 'general',
         'a partial match is no match: fallback'],
        [{ attributes => { tier => 'silver' } }, 'general',
         'no match: fallback'],
        [{}, 'general', 'nothing given: fallback'],
        [{ language => 'es', queue => 'gold' }, 'gold',
         'an explicit queue wins over the rules'],
    );
    my $n = 0;
    for my $case (@cases) {
        my ($body, $want, $what) = @$case;
        $j = arrive_ok($t, customer => 'r' . ++$n, %$body);
        is $j->{queue}, $want, "R3.2 $what -> $want";
        is agent_of($j), 'ag', "R3.2 $what: served in $want";
    }

    # no match and no fallback queue
    my $t2 = 'nofb';
    setup_tenant($t2, queues => { es => {} },
        agents => { ag => { queues => ['es'] } });
    ($s) = api(PUT => "tenants/$t2/rules",
               { rules => [{ match => { language => 'es' }, queue => 'es' }] },
               token => $P);
    is $s, 200, 'R3.2 rules without fallback';
    is arrive_ok($t2, customer => 'u1', language => 'es')->{queue}, 'es',
        'R3.2 a matching arrival still routes';
    my $before = snapshot($t2);
    ($s, $j, $raw) = arrive($t2, customer => 'u2', language => 'en');
    is $s, 400, 'R3.2 no match, no fallback -> 400';
    is $j->{error}{code}, 'invalid_field', 'R3.2 invalid_field' or diag $raw;
    like $j->{error}{message}, qr/"queue"/, 'R3.2 the message names "queue"';
    is_deeply snapshot($t2), $before, 'R3.2 nothing changed';

    # a fallback queue, then none again (null removes it, as for owners)
    ($s) = api(PUT => "tenants/$t2/rules",
               { rules => [{ match => { language => 'es' }, queue => 'es' }],
                 fallback_queue => 'es' }, token => $P);
    is $s, 200, 'R3.2 fallback queue set';
    is arrive_ok($t2, customer => 'u3', language => 'en')->{queue}, 'es',
        'R3.2 no match: the fallback queue';
    ($s, $j, $raw) = api(PUT => "tenants/$t2/rules",
               { rules => [{ match => { language => 'es' }, queue => 'es' }],
                 fallback_queue => undef }, token => $P);
    is $s, 200, 'R3.2 fallback_queue null: the fallback is removed'
        or diag $raw;
    ($s, $j, $raw) = arrive($t2, customer => 'u4', language => 'en');
    is $s, 400, 'R3.2 no match, fallback removed -> 400' or diag $raw;
}

# =========================================================================
# R3.4 (partly) no-agent queues: conversations never get an agent

{
    my $t = 'bot';
    setup($t,
        queues => { bot => { mode => 'noagent' }, q => {} },
        agents => { ag => { queues => ['bot', 'q'], capacity => 5 } });

    my $c1 = arrive_ok($t, customer => 'u1', queue => 'bot');
    is $c1->{state}, 'bot', 'R3.4 noagent: state bot';
    ok !$c1->{agent}, 'R3.4 noagent: no agent';
    is load_of($t, 'ag'), 0, 'R3.4 noagent: the online agent got nothing';

    $j = set_status($t, 'ag', status => 'offline');
    $j = set_status($t, 'ag', status => 'online');
    is $j->{pulled}, 0, 'R3.4 noagent: nothing to pull';
    is conv($t, $c1->{id})->{state}, 'bot', 'R3.4 noagent: still bot';

    # a returning customer (last served by ag) in the bot queue
    my $c2 = arrive_ok($t, customer => 'u2', queue => 'q');
    is agent_of($c2), 'ag', 'R3.4 u2 served by ag in q';
    my $c3 = arrive_ok($t, customer => 'u2', queue => 'bot');
    is $c3->{state}, 'bot', 'R3.4 noagent: a returning customer stays bot';
    ok !$c3->{agent}, 'R3.4 noagent: and gets no agent';

    # a customer owned by ag
    ($s) = api(PUT => "tenants/$t/customers/own", { owner => 'ag' },
               token => $P);
    is $s, 201, 'customer "own" belongs to ag (a new record)';
    my $c4 = arrive_ok($t, customer => 'own', queue => 'bot');
    is $c4->{state}, 'bot', 'R3.4 noagent: an owned customer stays bot';

    # a private contact of ag
    ($s) = api(PUT => "tenants/$t/customers/priv",
               { owner => 'ag', private => JSON::PP::true() }, token => $P);
    is $s, 201, 'customer "priv" is a private contact of ag';
    my $c5 = arrive_ok($t, customer => 'priv', queue => 'bot');
    is $c5->{state}, 'bot',
        'R3.4 noagent: a private contact in a noagent queue stays bot';
    ok !$c5->{agent}, 'R3.4 noagent: the private contact gets no agent';
    is load_of($t, 'ag'), 1, 'R3.4 noagent: ag carries only c2';
}

# =========================================================================
# errors: 404, 400 invalid_field naming the field; nothing changes

{
    my $t = 'err';
    setup($t, queues => { q => {} },
        agents => { ag => { queues => ['q'], capacity => 1 } });
    my $c1 = arrive_ok($t, customer => 'u1');
    my $c2 = arrive_ok($t, customer => 'u2');
    is $c2->{state}, 'queued', 'c2 waits';

    my $before = snapshot($t);
    my $qbefore = queue_get($t, 'q');

    ($s, $j) = api(GET => "tenants/$t/conversations/c999", undef,
                   token => $P);
    is $s, 404, 'unknown conversation -> 404';
    is $j->{error}{code}, 'not_found', 'unknown conversation: not_found';
    ($s, $j) = end_conv($t, 'c999');
    is $s, 404, 'ending an unknown conversation -> 404';

    my @bad = (
        [{ customer => 'u3', priority => 10 }, 'priority', 'priority 10'],
        [{ customer => 'u3', priority => -1 }, 'priority', 'priority -1'],
        [{ customer => 'u3', priority => 1.5 }, 'priority', 'priority 1.5'],
        [{ customer => 'u3', priority => '5' }, 'priority',
         'priority as a string'],
        [{ priority => 1 }, 'customer', 'customer missing'],
        [{ customer => 42 }, 'customer', 'customer a number'],
        [{ customer => 'u3', channel => 7 }, 'channel', 'channel a number'],

        [{ customer => 'u3', attributes => 'x' }, 'attributes',
         'attributes a string'],
    );
    arrive_invalid($t, @$_) for @bad;

    ($s, $j) = arrive($t, customer => 'u3', queue => 'nosuch');
    is $s, 404, 'unknown queue -> 404';
    ($s, $j) = api(POST => 'tenants/nosuchtenant/conversations',
                   { customer => 'u3' });
    is $s, 404, 'unknown tenant -> 404';

    is_deeply queue_get($t, 'q'), $qbefore, 'errors: the queue is unchanged';
    is_deeply snapshot($t), $before, 'errors: nothing changed in Redis';

    ($s, $j) = end_conv($t, $c1->{id});
    is $s, 200, 'c1 ended';
    is $j->{state}, 'ended', 'c1 state ended';
    $before = snapshot($t);
    ($s, $j) = end_conv($t, $c1->{id});
    is $s, 409, 'ending twice -> 409';
    is_deeply snapshot($t), $before, 'ending twice changed nothing';
    is agent_of(conv($t, $c2->{id})), 'ag', 'c2 was pulled by the first end';

    my $c3 = arrive_ok($t, customer => 'u3');
    my ($n1) = $c2->{id} =~ /(\d+)$/;
    my ($n2) = $c3->{id} =~ /(\d+)$/;
    is $n2, $n1 + 1, 'no conversation id was used by the refused arrivals';
}

# language and product are strings too (matched against the rules' strings)
{
    my $t = 'errlp';
    setup($t, queues => { q => {} },
        agents => { ag => { queues => ['q'], capacity => 1 } });
    my $before = snapshot($t);
    arrive_invalid($t, @$_)
        for [{ customer => 'u1', language => 7 }, 'language',
              'language a number'],
            [{ customer => 'u1', product => ['x'] }, 'product',
             'product an array'];
    is_deeply snapshot($t), $before,
        'language/product errors: nothing changed in Redis';
}

# =========================================================================
# a waiting conversation is small (#10 §3): its log of one entry does not
# keep the 4 KB node Redis 7.0 gives a new stream

{
    my $t = 'mem';
    setup($t, queues => { q => {} },
          agents => { off => { queues => ['q'], status => 'offline' } });
    my $j = arrive_ok($t, customer => 'u1');
    is $j->{state}, 'queued', 'an arrival with nobody online waits';
    is redis_cmd('XLEN', "csq:{$t}:log:$j->{id}"), 1, '... with one log entry';
    my $bytes = redis_cmd('MEMORY', 'USAGE', "csq:{$t}:log:$j->{id}");
    cmp_ok $bytes, '<', 1200, "... in a log stream of $bytes bytes";
    my $m = redis_cmd('XRANGE', "csq:{$t}:log:$j->{id}", '-', '+');
    like $m->[0][1][1], qr/"event":"queued"/, '... which reads as before';
}

unlike nginx_error_log(), qr/\[(?:alert|crit|emerg)\]|exited on signal/,
    'no alert, no crash';

nginx_stop();
is valgrind_report(), '', 'valgrind: clean';

done_testing();
