# issue #13 §3 (R8.2, R8.3, R8.5): figures, "today" in the tenant's time
# zone.  An agent's own day (taken, ended, average first response and
# handling time, rating) and the supervisor's figures per queue (waiting,
# longest wait, arrivals, abandoned rate, average wait, first response,
# service level, rating) and per agent.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_trusted 127.0.0.1;\n");
# a time zone whose day is not UTC's now: +14 h after 10:00 UTC, else -14 h
my $utc_hour = (gmtime)[2];
my $offset = $utc_hour >= 10 ? 840 : -840;
my $P = setup_tenant('acme', tenant => { utc_offset_minutes => $offset,
                                         return_hours => 0 },
                     queues => { sales => { sl_seconds => 1 } },
                     agents => {
                         alice => { queues => ['sales'], capacity => 1 },
                         sue => { queues => ['sales'], role => 'supervisor',
                                  status => 'offline' } },
                     fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice sue);

sub token_of { return $T{ $_[0] } // $_[0] }
sub call { return tenant_call('acme', token_of(shift), @_) }
sub ok_call { return tenant_call_ok('acme', token_of(shift), @_) }

# alice takes one at once and answers after 300 ms
my $c1 = arrive_ok('acme', customer => 'u1');
is agent_of($c1), 'alice', 'a conversation for alice';
my $aw = ws_open("/api/tenants/acme/agent/ws?token=$T{alice}") or die;
$aw->wait_json(sub { $_[0]{type} eq 'hello' }) or die "hello\n";
sleep 0.3;
$aw->send_json({ type => 'message', conversation => $c1->{id},
                 text => 'Hello!', ref => 'a1' });
$aw->wait_json(sub { ($_[0]{ref} // '') eq 'a1' && $_[0]{type} eq 'ack' })
    or die "ack\n";
sleep 1.5;
$aw->send_json({ type => 'message', conversation => $c1->{id},
                 text => 'More', ref => 'a2' });
$aw->wait_json(sub { ($_[0]{ref} // '') eq 'a2' && $_[0]{type} eq 'ack' });

# a second waits (alice is full), then leaves: abandoned
my $c2 = arrive_ok('acme', customer => 'u2');
is $c2->{state}, 'queued', 'a second one waits';
sleep 0.2;
my $j = ok_call(sue => GET => 'figures');
my ($q) = @{ $j->{queues} };
is $q->{waiting}, 1, 'R8.2 the queue: one waiting';
cmp_ok $q->{longest_wait_ms}, '>=', 200, "... the longest wait ($q->{longest_wait_ms} ms)";
ok_call(sue => POST => "conversations/$c2->{id}/leave", {});

# a third arrives while alice is full and waits over 1 s (the queue's
# service level) before she takes it
my $c3 = arrive_ok('acme', customer => 'u3');
sleep 1.2;
ok_call(alice => POST => "conversations/$c1->{id}/end", {});
my $cw = ok_call(sue => GET => "conversations/$c3->{id}");
is $cw->{agent}{id}, 'alice', 'the third goes to alice when she has room';
end_conv_ok('acme', $c3->{id});
my $cs = customer_socket('acme', $c1) or die;
ok_call($c1->{customer_token}, POST => "conversations/$c1->{id}/rating",
        { score => 4 });

$j = ok_call(alice => GET => 'agents/alice');
my $d = $j->{today};
is $d->{taken}, 2, 'R8.2 the agent\'s day: taken';
is $d->{ended}, 2, '... ended';
cmp_ok $d->{first_response_ms}, '>=', 300,
       "... average first response ($d->{first_response_ms} ms), its first "
       . 'answer only';
cmp_ok $d->{first_response_ms}, '<', 900, '... (not a later one)';
ok defined $d->{handling_ms}, "... average handling time ($d->{handling_ms} ms)";
is $d->{rating}, 4, '... its rating';

$j = ok_call(sue => GET => 'figures');
($q) = @{ $j->{queues} };
is $q->{arrived}, 3, 'R8.2 the queue today: arrivals';
is $q->{assigned}, 2, '... assigned';
is $q->{abandoned}, 1, '... abandoned';
is $q->{abandoned_rate}, 0.333, '... the abandoned rate';
is $q->{service_level}, 0.5, '... the service level (1 of 2 within 1 s)';
cmp_ok $q->{average_wait_ms}, '>=', 600, "... average wait ($q->{average_wait_ms} ms)";
cmp_ok $q->{first_response_ms}, '>=', 300, '... first response';
is $q->{rating}, 4, '... rating';
my ($fa) = grep { $_->{id} eq 'alice' } @{ $j->{agents} };
is $fa->{today}{taken}, 2, 'R8.3 per agent, its workload and day';

my ($s) = call(alice => GET => 'figures');
is $s, 403, 'R9.1 the figures are a supervisor\'s';

# today is the tenant's day: its counters are under its local day number
my $day = int((time * 1000 + $offset * 60000) / 86400000);
my $utc_day = int(time * 1000 / 86400000);
ok redis_cmd('EXISTS', "csq:{acme}:q:sales:day:$day")
   && !redis_cmd('EXISTS', "csq:{acme}:q:sales:day:$utc_day"),
   "today in the tenant's time zone ($offset min), not UTC's";
my $ttl = redis_cmd('TTL', "csq:{acme}:q:sales:day:$day");
ok $ttl > 0 && $ttl <= 35 * 86400, "R9.6 ... kept 35 days ($ttl s)";

done_testing();
