# issue #4: timers and schedules.  R4.5 auto-end after N minutes of
# customer silence, done once whatever the number of ticks; R3.4 weekly
# slots with the agents on duty in each, out-of-hours text, waiting
# conversations taken when a slot opens (the tick), "no agent" queues.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi;
use t::CsqWs;

redis_start();
api_nginx_start(http_config => "    csq_tick 200ms;\n");



my $p = setup_tenant('acme',
    tenant => { auto_end_minutes => 5 },
    queues => { sales => {} },
    agents => { alice => { queues => ['sales'], capacity => 1 } });

my ($s, $j);

# --- auto-end (R4.5)

($s, $j) = api(POST => 'tenants/acme/conversations',
               { customer => 'u1', queue => 'sales' });
my $c1 = $j->{id};
is $j->{agent}{id}, 'alice', 'c1 with alice';
($s, $j) = api(POST => 'tenants/acme/conversations',
               { customer => 'u2', queue => 'sales' });
my $c2 = $j->{id};
my $c2_token = $j->{customer_token};
is $j->{state}, 'queued', 'c2 waits: alice is full';

sleep 0.6;
($s, $j) = api(GET => "tenants/acme/conversations/$c1", undef, token => $p);
is $j->{state}, 'active', 'R4.5 a conversation within the silence limit stays';

# six minutes of silence, as Redis sees it
redis_cmd('ZADD', 'csq:{acme}:activity', (time - 360) * 1000, $c1);

ok wait_for(sub {
    my ($s, $j) = api(GET => "tenants/acme/conversations/$c1", undef,
                      token => $p);
    $j->{state} eq 'ended';
}), 'R4.5 a silent conversation ends by itself';

($s, $j) = api(GET => "tenants/acme/conversations/$c1", undef, token => $p);
is $j->{end_reason}, 'timeout', 'R4.5 reason: timeout';
($s, $j) = api(GET => "tenants/acme/conversations/$c2", undef, token => $p);
is $j->{agent}{id}, 'alice', 'R3.5 the freed room went to c2';

sleep 1;    # more ticks

my $events = redis_cmd('XRANGE', 'csq:{acme}:events', '-', '+');
my $ends = grep {
    my %f = @{ $_->[1] };
    $f{type} eq 'ended' && $f{conversation} eq $c1
} @$events;
is $ends, 1, 'R4.5 ended exactly once, however many ticks ran';
($s, $j) = api(GET => 'tenants/acme/agents/alice', undef, token => $p);
is $j->{load}, 1, 'R4.5 the load counts c2 only';

# a message sets the conversation's "heard" time only; the tick reads it
# before it ends a conversation that its index of silences calls silent
my $ws = ws_open("/api/tenants/acme/chat/ws?token=$c2_token"
                 . "&conversation=$c2");
ok $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }), 'c2 customer socket';
$ws->send_json({ type => 'message', text => 'still here', ref => 'h1' });
ok $ws->wait_json(sub { $_[0]{type} eq 'ack' }), 'the customer spoke';
my $old = int((time - 360) * 1000);
redis_cmd('ZADD', 'csq:{acme}:activity', $old, $c2);
ok wait_for(sub {
    (redis_cmd('ZSCORE', 'csq:{acme}:activity', $c2) // 0) > $old
}), 'R4.5 the tick moves a conversation heard since to its last word';
($s, $j) = api(GET => "tenants/acme/conversations/$c2", undef, token => $p);
is $j->{state}, 'active', 'R4.5 a customer who spoke is not silent';
cmp_ok redis_cmd('ZSCORE', 'csq:{acme}:activity', $c2), '>=',
    int((time - 10) * 1000), 'R4.5 silent from the last word on';

# and once that word is old too, it ends
redis_cmd('HSET', "csq:{acme}:c:$c2", 'heard', $old);
redis_cmd('ZADD', 'csq:{acme}:activity', $old, $c2);
ok wait_for(sub {
    my ($s, $j) = api(GET => "tenants/acme/conversations/$c2", undef,
                      token => $p);
    $j->{state} eq 'ended';
}), 'R4.5 silent since the last word: it ends';
$ws->close;

# --- schedules (R3.4)

my @now = gmtime(time);
my $weekday = ($now[6] + 6) % 7 + 1;                 # 1 Monday .. 7 Sunday
my $minute = $now[2] * 60 + $now[1];
my $from = $minute >= 30 ? $minute - 30 : 0;
my $to = $minute + 30 <= 1440 ? $minute + 30 : 1440;
my $hhmm = sub { sprintf '%02d:%02d', int($_[0] / 60), $_[0] % 60 };
my $other = $weekday % 7 + 1;

my $open = { slots => [ { days => [$weekday], from => $hhmm->($from),
                          to => $hhmm->($to), agents => ['bob'] } ] };
my $closed = { slots => [ { days => [$other], from => '00:00',
                            to => '24:00' } ] };

setup_tenant('globex',
    queues => { help => { schedule => $closed,
                          out_of_hours_text => 'We open at nine.' },
                bots => { mode => 'noagent' } },
    agents => { bob => { queues => ['help', 'bots'] },
                gus => { queues => ['help', 'bots'] } });

($s, $j) = api(GET => 'tenants/globex/queues/help', undef, token => $p);
is_deeply $j->{schedule}{slots}[0]{days}, [$other], 'R3.4 the schedule is kept';

($s, $j) = api(POST => 'tenants/globex/conversations',
               { customer => 'g1', queue => 'help' });
is $s, 201, 'R3.4 arrival out of hours';
is $j->{state}, 'queued', 'R3.4 out of hours: it waits, agents online or not';
is $j->{auto_reply}, 'We open at nine.', 'R3.4 with the out-of-hours text';
my $g1 = $j->{id};

sleep 0.6;
($s, $j) = api(GET => "tenants/globex/conversations/$g1", undef, token => $p);
is $j->{state}, 'queued', 'R3.4 the tick does not assign out of hours';

($s) = api(PUT => 'tenants/globex/queues/help', { schedule => $open },
           token => $p);
is $s, 200, 'R3.4 a slot covering now, with bob on duty';

ok wait_for(sub {
    my ($s, $j) = api(GET => "tenants/globex/conversations/$g1", undef,
                      token => $p);
    $j->{state} eq 'active';
}), 'R3.4 when the slot opens the waiting conversation is taken';
($s, $j) = api(GET => "tenants/globex/conversations/$g1", undef, token => $p);
is $j->{agent}{id}, 'bob', 'R3.4 by the agent on duty in the slot';

for my $i (2 .. 4) {
    ($s, $j) = api(POST => 'tenants/globex/conversations',
                   { customer => "g$i", queue => 'help' });
    is $j->{agent}{id}, 'bob',
        "R3.4 g$i goes to bob: gus is online but not on duty";
}

($s, $j) = api(PUT => 'tenants/globex/queues/help', { schedule => undef },
               token => $p);
is $j->{schedule}, undef, 'R3.4 a schedule can be removed';

($s, $j) = api(PUT => 'tenants/globex/queues/help',
               { schedule => { slots => [ { days => [8], from => '09:00',
                                            to => '10:00' } ] } },
               token => $p);
is $s, 400, 'R3.4 a day outside 1-7 -> 400';
like $j->{error}{message}, qr/"schedule"/, 'R3.4 naming the field';
($s, $j) = api(PUT => 'tenants/globex/queues/help',
               { schedule => { slots => [ { days => [1], from => '10:00',
                                            to => '09:00' } ] } },
               token => $p);
is $s, 400, 'R3.4 from after to -> 400';

for my $i (1 .. 3) {
    ($s, $j) = api(POST => 'tenants/globex/conversations',
                   { customer => "b$i", queue => 'bots' });
    is $j->{state}, 'bot', "R3.4 a no-agent queue never assigns (b$i)";
}
sleep 0.5;
($s, $j) = api(GET => 'tenants/globex/agents/gus', undef, token => $p);
is $j->{load}, 0, 'R3.4 not even on a tick';

# --- a reload (HUP): old workers, with their Redis links and tick timer,
# leave cleanly; the new ones serve at once

my @old = nginx_worker_pids();
ok nginx_reload(), 'reload: the new configuration is running';
my %new = map { $_ => 1 } nginx_worker_pids();
is scalar(grep { $new{$_} } @old), 0, 'reload: the old workers are gone';
($s, $j) = api(GET => 'tenants/globex/agents/gus', undef, token => $p);
is $s, 200, 'reload: the API answers';

unlike nginx_error_log(), qr/\[(?:error|alert|crit|emerg)\]|open socket/,
    'nothing logged as an error, no socket left open';

nginx_stop();
is valgrind_report(), '', 'valgrind: clean';

done_testing();
