# issue #11 §4: routing rules that the security test found broken.
# R4.5 silence counts from assignment (the tick that frees an agent does
# not end the customer it just gave it); R3.3 a returning customer goes
# back to its last agent only if that agent is on duty in the queue's slot
# now, and with the queue's sticky_wait waits for it when it is full
# (seed 004 Q1); R3.4 an agent with room takes only from queues open now
# whose slot has it on duty, and pick-up queues keep their hours too;
# R4.5 /leave is for the customer, its agent or a supervisor.

use strict;
use warnings;

use JSON::PP ();
use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start(http_config => "    csq_tick 200ms;\n");

my $P = platform_token();


# schedules: a slot open now (for some agents), and one never open today
my @now = gmtime(time);
my $weekday = ($now[6] + 6) % 7 + 1;                 # 1 Monday .. 7 Sunday
my $other = $weekday % 7 + 1;
sub open_now { return { slots => [ { days => [$weekday], from => '00:00',
                                     to => '24:00', @_ } ] } }
my $closed = { slots => [ { days => [$other], from => '00:00',
                            to => '24:00' } ] };

# --- R4.5 silence counts from assignment

{
    my $t = 'sil';
    setup_tenant($t, tenant => { auto_end_minutes => 5 },
        queues => { q => {} }, fallback => 'q',
        agents => { alice => { queues => ['q'], capacity => 1 } });
    my $x = arrive_ok($t, customer => 'ux');
    my $y = arrive_ok($t, customer => 'uy');
    is agent_of($x), 'alice', 'x with alice';
    is $y->{state}, 'queued', 'y waits';

    # both long silent as the index says: x ends, y gets alice
    my $old = int((time - 360) * 1000);
    redis_cmd('ZADD', "csq:{$t}:activity", $old, $x->{id}, $old, $y->{id});
    ok wait_for(sub { conv($t, $x->{id})->{state} eq 'ended' }),
        'R4.5 the silent x ends';
    ok wait_for(sub { agent_of(conv($t, $y->{id})) eq 'alice' }),
        'R3.5 y takes the freed room';
    sleep 0.6;     # more ticks
    my $cy = conv($t, $y->{id});
    is $cy->{state}, 'active',
        'R4.5 y, just assigned, is not ended for the silence of its wait'
        or diag explain $cy;
}

# --- R3.3 returning customers: only to an agent on duty now

{
    my $t = 'ret';
    setup_tenant($t, tenant => { return_hours => 48 },
        queues => { q => {} }, fallback => 'q',
        agents => { amy => { queues => ['q'], capacity => 3, order => 1 },
                    bob => { queues => ['q'], capacity => 3, order => 2 } });
    my $c1 = arrive_ok($t, customer => 'u1');
    is agent_of($c1), 'amy', 'u1 to amy';
    end_conv_ok($t, $c1->{id});

    my ($s) = api(PUT => "tenants/$t/queues/q",
                  { schedule => open_now(agents => ['bob']) }, token => $P);
    is $s, 200, "a slot now with bob alone on duty";
    my $c2 = arrive_ok($t, customer => 'u1');
    is agent_of($c2), 'bob',
        'R3.3 returning: not back to amy, who is not on duty now';
}

# --- sticky_wait (seed 004 Q1): a returning customer waits for its agent

{
    my $t = 'sticky';
    setup_tenant($t, tenant => { return_hours => 48 },
        queues => { q => { sticky_wait => JSON::PP::true(),
                          strategy => 'sequential' } }, fallback => 'q',
        agents => { amy => { queues => ['q'], capacity => 1, order => 1 },
                    bob => { queues => ['q'], capacity => 3, order => 2 } });
    is queue_get($t, 'q')->{sticky_wait}, JSON::PP::true(),
        'sticky_wait is kept';
    my $c1 = arrive_ok($t, customer => 'u1');
    is agent_of($c1), 'amy', 'u1 to amy';
    end_conv_ok($t, $c1->{id});
    my $busy = arrive_ok($t, customer => 'u9');
    is agent_of($busy), 'amy', 'amy is full with u9';

    my $c2 = arrive_ok($t, customer => 'u1');
    is $c2->{state}, 'queued', 'R3.3 sticky_wait: u1 waits for amy, not bob';
    is $c2->{bound_agent}, 'amy', '... bound to her';
    end_conv_ok($t, $busy->{id});
    is agent_of(conv($t, $c2->{id})), 'amy',
        '... and amy takes u1 when she has room';

    # without it (the default), the full agent is passed over
    my ($s) = api(PUT => "tenants/$t/queues/q",
                  { sticky_wait => JSON::PP::false() }, token => $P);
    is $s, 200, 'sticky_wait off';
    end_conv_ok($t, $c2->{id});
    $busy = arrive_ok($t, customer => 'u8');
    is agent_of($busy), 'amy', 'amy is full with u8';
    my $c3 = arrive_ok($t, customer => 'u1');
    is agent_of($c3), 'bob', 'R3.3 default: a full last agent -> bob';
}

# --- R3.4 an agent with room takes only what it is on duty for

{
    my $t = 'duty';
    setup_tenant($t,
        queues => { main => {},
                    late => { schedule => open_now(agents => ['bob']) },
                    shut => { schedule => $closed,
                              out_of_hours_text => 'closed now' } },
        agents => { amy => { queues => ['main', 'late', 'shut'],
                             capacity => 2 },
                    bob => { queues => ['late'], capacity => 1,
                             status => 'offline' } });
    my @m = map { arrive_ok($t, customer => "m$_", queue => 'main') } 1, 2;
    is join(',', map { agent_of($_) } @m), 'amy,amy', 'amy is full with m1, m2';
    my $l = arrive_ok($t, customer => 'l1', queue => 'late');
    is $l->{state}, 'queued', 'l1 waits for bob (on duty, offline)';
    my $x = arrive_ok($t, customer => 's1', queue => 'shut');
    is $x->{state}, 'queued', 's1 waits: the queue is out of hours';
    is $x->{auto_reply}, 'closed now', '... told so';

    end_conv_ok($t, $_->{id}) for @m;
    sleep 0.6;     # ticks too
    is conv($t, $l->{id})->{state}, 'queued',
        'R3.4 amy does not take l1 from a queue she is not on duty for';
    is conv($t, $x->{id})->{state}, 'queued',
        'R3.4 nor s1 from a queue out of hours';
    is load_of($t, 'amy'), 0, 'amy stays free';
}

# --- R3.4/R3.7 pick-up queues keep their hours

{
    my $t = 'pick';
    setup_tenant($t,
        queues => { pk => { mode => 'pickup', schedule => $closed,
                            out_of_hours_text => 'back at nine',
                            queued_text => 'someone will pick you' } },
        agents => { amy => { queues => ['pk'], capacity => 2 } });
    my $c = arrive_ok($t, customer => 'p1', queue => 'pk');
    is $c->{state}, 'queued', 'a pick-up arrival out of hours waits';
    is $c->{auto_reply}, 'back at nine', 'R3.4 ... with the out-of-hours text';
    my $amy = login_token($t, 'amy');
    my ($s, $j) = api(POST => "tenants/$t/conversations/$c->{id}/claim",
                      {}, token => $amy);
    is $s, 409, 'R3.7 no claim out of hours';
    is $j->{error}{code}, 'out_of_hours', '... out_of_hours';

    ($s) = api(PUT => "tenants/$t/queues/pk", { schedule => open_now() },
               token => $P);
    is $s, 200, 'the queue opens';
    ($s, $j) = api(POST => "tenants/$t/conversations/$c->{id}/claim",
                   {}, token => $amy);
    is $s, 200, 'R3.7 claimed in hours';
    my $d = arrive_ok($t, customer => 'p2', queue => 'pk');
    is $d->{auto_reply}, 'someone will pick you', 'in hours: the queued text';
}

# --- R4.5 leave: the customer, its agent or a supervisor

{
    my $t = 'leave';
    setup_tenant($t, queues => { q => {} }, fallback => 'q',
        agents => { alice => { queues => ['q'], capacity => 2 },
                    bob => { queues => ['q'], capacity => 2,
                             status => 'offline' },
                    sue => { role => 'supervisor', status => 'offline' } });
    my $c = arrive_ok($t, customer => 'u1');
    is agent_of($c), 'alice', 'c with alice';
    my $bob = login_token($t, 'bob');
    my ($s, $j) = api(POST => "tenants/$t/conversations/$c->{id}/leave",
                      {}, token => $bob);
    is $s, 403, 'R4.5 another agent may not end it by /leave';
    is conv($t, $c->{id})->{state}, 'active', '... it goes on';

    ($s, $j) = api(POST => "tenants/$t/conversations/$c->{id}/leave",
                   {}, token => login_token($t, 'sue'));
    is $s, 200, 'R4.5 a supervisor may';
    is $j->{state}, 'ended', '... ended';

    my $d = arrive_ok($t, customer => 'u2');
    ($s) = api(POST => "tenants/$t/conversations/$d->{id}/leave",
               {}, token => login_token($t, 'alice'));
    is $s, 200, 'R4.5 and its own agent may';
    ($s) = api(POST => "tenants/$t/conversations/$d->{id}/leave",
               {}, token => $d->{customer_token});
    is $s, 409, 'then the customer finds it ended';
}

done_testing();
