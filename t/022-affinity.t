# issue #4: affinity: private contacts bound to their owner (R3.3, R2.4),
# owner first (R3.3), returning customers back to their last agent
# (R3.3), and suspended agents (R2.3).  Every scenario has a tenant of
# its own.

use strict;
use warnings;

use Test::More;
use Time::HiRes ();
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start();

my $P = platform_token();

# setup_tenant(), and queue q as the fallback for every arrival
sub setup { my ($t, %o) = @_; return setup_tenant($t, %o, fallback => 'q') }

my ($s, $j);
my $true = JSON::PP::true();
my $false = JSON::PP::false();

# =========================================================================
# R3.3/R2.4 private contact: only its owner, even suspended; waits for it

{
    my $t = 'priv';
    setup($t,
        tenant => { suspended_text => 'Away for a moment' },
        queues => { q => {} },
        agents => {
            own   => { queues => ['q'], capacity => 3, order => 1 },
            other => { queues => ['q'], capacity => 3, order => 2 },
        });

    $j = customer($t, 'pc', owner => 'own', private => $true);
    is $j->{owner}, 'own', 'R2.4 pc belongs to own';
    ok $j->{private}, 'R2.4 pc is private';

    my $c1 = arrive_ok($t, customer => 'pc');
    is agent_of($c1), 'own', 'R3.3 private: to its owner';

    set_status($t, 'own', status => 'suspended');
    my $c2 = arrive_ok($t, customer => 'pc');
    is $c2->{state}, 'active', 'R2.4 private, owner suspended: active';
    is agent_of($c2), 'own', 'R2.4 private, owner suspended: still the owner';

    # other is online with room; own goes offline
    my $o1 = arrive_ok($t, customer => 'someone');
    is agent_of($o1), 'other', 'a plain customer goes to other';
    set_status($t, 'own', status => 'offline');
    my $other_load = load_of($t, 'other');

    my $c3 = arrive_ok($t, customer => 'pc');
    is $c3->{state}, 'queued', 'R2.4 private, owner offline: waits';
    ok !$c3->{agent}, 'R2.4 private, owner offline: no agent';
    is $c3->{bound_agent}, 'own', 'R2.4 private: bound to its owner';
    is $c3->{position}, 1, 'R2.4 private: first in the owner\'s list';
    is load_of($t, 'other'), $other_load,
        'R2.4 private: not given to the online agent with room';

    $j = agent_convs($t, 'own');
    is_deeply [map { $_->{id} } @{ $j->{waiting} }], [$c3->{id}],
        'R2.4 private: in the owner\'s waiting list';
    is_deeply [map { $_->{id} } @{ agent_convs($t, 'other')->{waiting} }], [],
        'R2.4 private: not in the other agent\'s waiting list';

    # other frees room, switches around: it never takes c3
    $j = end_conv_ok($t, $o1->{id});
    is $j->{pulled}, 0, 'R2.4 private: other ending one pulls nothing';
    set_status($t, 'other', reception => $false);
    $j = set_status($t, 'other', reception => $true);
    is $j->{pulled}, 0, 'R2.4 private: other reception on pulls nothing';
    set_status($t, 'other', status => 'offline');
    $j = set_status($t, 'other', status => 'online');
    is $j->{pulled}, 0, 'R2.4 private: other back online pulls nothing';
    Time::HiRes::sleep(1.3);    # a tick (csq_tick 1s) goes by
    $j = conv($t, $c3->{id});
    is $j->{state}, 'queued', 'R2.4 private: still waiting after a tick';
    is $j->{bound_agent}, 'own', 'R2.4 private: still bound to own';
    is load_of($t, 'other'), 0, 'R2.4 private: other has none';

    # the owner comes online: it takes it
    $j = set_status($t, 'own', status => 'online');
    is $j->{pulled}, 1, 'R2.4 private: owner online pulls it';
    $j = conv($t, $c3->{id});
    is $j->{state}, 'active', 'R2.4 private: now active';
    is agent_of($j), 'own', 'R2.4 private: with its owner';
    is_deeply agent_convs($t, 'own')->{waiting}, [],
        'R2.4 private: the owner\'s waiting list is empty';

    # owner online but not receiving: it waits for the owner too
    set_status($t, 'own', reception => $false);
    my $c4 = arrive_ok($t, customer => 'pc');
    is $c4->{state}, 'queued', 'R2.4 private, owner reception off: waits';
    is $c4->{bound_agent}, 'own', 'R2.4 private: bound to own';
    is load_of($t, 'other'), 0, 'R2.4 private: other (free) gets nothing';
    $j = end_conv_ok($t, $c1->{id});
    is $j->{pulled}, 0, 'R2.4 private: owner not receiving pulls nothing';
    $j = set_status($t, 'own', reception => $true);
    is $j->{pulled}, 1, 'R2.4 private: owner reception on pulls it';
    is agent_of(conv($t, $c4->{id})), 'own', 'R2.4 private: c4 with own';
}

# =========================================================================
# R3.3 owner first (not private): the owner if available, else routing

{
    my $t = 'ownr';
    setup($t,
        queues => { q => { strategy => 'round-robin' } },
        agents => {
            amy => { queues => ['q'], capacity => 3, order => 1 },
            bob => { queues => ['q'], capacity => 3, order => 2 },
        });

    customer($t, 'k1', owner => 'bob', private => $false);
    my $c1 = arrive_ok($t, customer => 'k1');
    is agent_of($c1), 'bob',
        'R3.3 owner first: to its owner bob (round-robin would give amy)';

    customer($t, 'k2', owner => 'bob');
    set_status($t, 'bob', reception => $false);
    my $c2 = arrive_ok($t, customer => 'k2');
    is agent_of($c2), 'amy',
        'R3.3 owner first: owner not receiving -> normal routing (amy)';
    set_status($t, 'bob', reception => $true);

    customer($t, 'k3', owner => 'bob');
    set_status($t, 'bob', status => 'offline');
    my $c3 = arrive_ok($t, customer => 'k3');
    is $c3->{state}, 'active', 'R3.3 owner first: owner offline -> not waiting';
    is agent_of($c3), 'amy', 'R3.3 owner first: owner offline -> amy';
    ok !$c3->{bound_agent}, 'R3.3 owner first: not bound';
    set_status($t, 'bob', status => 'online');

    # bob full
    api(PUT => "tenants/$t/agents/bob", { capacity => 1 }, token => $P);
    customer($t, 'k4', owner => 'bob');
    my $c4 = arrive_ok($t, customer => 'k4');
    is agent_of($c4), 'amy', 'R3.3 owner first: owner full -> amy';
}

# =========================================================================
# R3.3 returning customers go back to their last agent

{
    my $t = 'ret';
    setup($t,
        tenant => { return_hours => 48 },
        queues => { q => { strategy => 'round-robin' } },
        agents => {
            amy => { queues => ['q'], capacity => 3, order => 1 },
            bob => { queues => ['q'], capacity => 3, order => 2 },
        });

    my $c1 = arrive_ok($t, customer => 'u1');
    is agent_of($c1), 'amy', 'R3.3 u1 to amy';
    end_conv_ok($t, $c1->{id});

    my $c2 = arrive_ok($t, customer => 'u1');
    is agent_of($c2), 'amy',
        'R3.3 returning: u1 back to amy although bob is next in round-robin';
    my $c3 = arrive_ok($t, customer => 'u2');
    is agent_of($c3), 'bob', 'R3.3 a new customer: bob, the round-robin next';

    # amy suspended is still on duty
    set_status($t, 'amy', status => 'suspended');
    my $c4 = arrive_ok($t, customer => 'u1');
    is agent_of($c4), 'amy',
        'R3.3 returning: back to amy while she is suspended (on duty)';
    set_status($t, 'amy', status => 'online');

    # amy full: normal routing
    is load_of($t, 'amy'), 2, 'amy carries c2 and c4';
    arrive_ok($t, customer => 'u3');      # amy: 3 (round-robin after bob)
    is load_of($t, 'amy'), 3, 'amy is full';
    my $c5 = arrive_ok($t, customer => 'u1');
    is agent_of($c5), 'bob', 'R3.3 returning: last agent full -> bob';

    # u2's last agent is bob; bob offline: normal routing
    end_conv_ok($t, $_->{id}) for @{ agent_convs($t, 'amy')->{active} };
    set_status($t, 'bob', status => 'offline');
    my $c6 = arrive_ok($t, customer => 'u2');
    is $c6->{state}, 'active', 'R3.3 returning: last agent offline -> no wait';
    is agent_of($c6), 'amy', 'R3.3 returning: last agent offline -> amy';

    # return_hours 0: no return
    my $t0 = 'ret0';
    setup($t0,
        tenant => { return_hours => 0 },
        queues => { q => { strategy => 'round-robin' } },
        agents => {
            amy => { queues => ['q'], capacity => 3, order => 1 },
            bob => { queues => ['q'], capacity => 3, order => 2 },
        });
    my $d1 = arrive_ok($t0, customer => 'u1');
    is agent_of($d1), 'amy', 'R3.3 return_hours 0: u1 to amy';
    end_conv_ok($t0, $d1->{id});
    my $d2 = arrive_ok($t0, customer => 'u1');
    is agent_of($d2), 'bob',
        'R3.3 return_hours 0: u1 goes on in round-robin (bob)';
}

# =========================================================================
# R2.3 suspended agents

{
    my $t = 'susp';
    setup($t,
        tenant => { suspended_text => 'Back in a minute' },
        queues => { q => { strategy => 'round-robin' } },
        agents => {
            sa => { queues => ['q'], capacity => 5, order => 1,
                    status => 'suspended' },
            sb => { queues => ['q'], capacity => 5, order => 2 },
            sc => { queues => ['q'], capacity => 5, order => 3,
                    status => 'offline' },
        });

    my @c = map { arrive_ok($t, customer => "u$_") } 1 .. 3;
    is_deeply [map { agent_of($_) } @c], [qw(sb sb sb)],
        'R2.3 sa suspended, sb online: every new customer to sb';
    ok !grep({ ($_->{auto_reply} // '') eq 'Back in a minute' } @c),
        'R2.3 no suspended text while someone is online';
    is load_of($t, 'sa'), 0, 'R2.3 the suspended agent got none';

    # sb full: they wait rather than go to the suspended agent
    api(PUT => "tenants/$t/agents/sb", { capacity => 3 }, token => $P);
    my $w = arrive_ok($t, customer => 'u4');
    is $w->{state}, 'queued',
        'R2.3 sb full: the new customer waits, not given to suspended sa';
    is load_of($t, 'sa'), 0, 'R2.3 sa still has none';
    $j = end_conv_ok($t, $c[0]{id});
    is $j->{pulled}, 1, 'R2.3 sb ends one and takes the waiting one';
    is agent_of(conv($t, $w->{id})), 'sb', 'R2.3 u4 with sb';

    # everyone on duty suspended (sc is offline): shared evenly
    end_conv_ok($t, $_->{id}) for @{ agent_convs($t, 'sb')->{active} };
    api(PUT => "tenants/$t/agents/sb", { capacity => 5 }, token => $P);
    set_status($t, 'sb', status => 'suspended');
    my @d = map { arrive_ok($t, customer => "v$_") } 1 .. 4;
    is_deeply [map { $_->{state} } @d], [('active') x 4],
        'R2.3 all suspended: the customers are still served';
    my %n;
    $n{ agent_of($_) }++ for @d;
    is_deeply \%n, { sa => 2, sb => 2 },
        'R2.3 all suspended: shared evenly between sa and sb, none to '
        . 'offline sc';
    is_deeply [map { $_->{auto_reply} } @d], [('Back in a minute') x 4],
        'R2.3 all suspended: auto_reply is the tenant\'s suspended_text';
    is load_of($t, 'sc'), 0, 'R2.3 offline sc got none';
}

# =========================================================================
# R2.3 + R3.5 everyone on duty suspended and full: who waits is served
# first when room comes (not a later arrival)

{
    my $t = 'susp2';
    setup($t,
        tenant => { suspended_text => 'Back in a minute' },
        queues => { q => { strategy => 'round-robin' } },
        agents => {
            sa => { queues => ['q'], capacity => 1, order => 1,
                    status => 'suspended' },
            sb => { queues => ['q'], capacity => 1, order => 2,
                    status => 'suspended' },
        });

    my @c = map { arrive_ok($t, customer => "u$_") } 1 .. 2;
    is_deeply [sort map { agent_of($_) } @c], [qw(sa sb)],
        'R2.3 all suspended: one each';
    my $w = arrive_ok($t, customer => 'u3');
    is $w->{state}, 'queued', 'R2.3 both full: u3 waits';
    is $w->{auto_reply}, 'Back in a minute',
        'R2.3 the waiting customer gets the suspended text';

    my ($first) = grep { agent_of($_) eq 'sa' } @c;
    $j = end_conv_ok($t, $first->{id});
    is $j->{pulled}, 1,
        'R3.5/R2.3 all suspended: sa ending one takes the waiting u3';
    $j = conv($t, $w->{id});
    is $j->{state}, 'active', 'R3.5/R2.3 u3 is served';
    is agent_of($j), 'sa', 'R3.5/R2.3 u3 is with sa';

    my $late = arrive_ok($t, customer => 'u4');
    is $late->{state}, 'queued',
        'R3.5/R2.3 a later arrival does not jump ahead of u3: it waits';
    is conv($t, $w->{id})->{state}, 'active', 'R3.5/R2.3 u3 still active';
}

unlike nginx_error_log(), qr/\[(?:alert|crit|emerg)\]|exited on signal/,
    'no alert, no crash';

nginx_stop();
is valgrind_report(), '', 'valgrind: clean';

done_testing();
