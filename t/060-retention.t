# issue #11 §2 (R9.6): retention.  What is over is kept for the tenant's
# retention_minutes (90 days) and visitor_retention_minutes (30 days),
# then the tick deletes it, at most 200 of each kind a run, oldest first:
# ended and abandoned conversations with their logs and callback entries,
# visitors with their places in the search index and their links, the
# customers nobody owns, the event stream's old entries.  Nothing a live
# conversation needs goes.  A conversation with the robot whose customer
# left (no socket past the grace) ends, so that none is held open.
#
# The tick is called here by hand (csq_tick 0), at a time of the test's
# choosing, and entries are made old by moving their index scores back.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_tick 0;\n    csq_presence_grace 300ms;\n");
my $p = platform_token();
setup_tenant('acme', tenant => { retention_minutes => 60,
                                 visitor_retention_minutes => 30 },
             queues => { sales => {}, nobody => {},
                         bot => { mode => 'robot', welcome_text => 'Hi' } },
             agents => { alice => { queues => ['sales'], capacity => 10 } });
api(PUT => 'tenants/acme/links/l1', { name => 'Spring', queue => 'bot' },
    token => $p);

my $T = 'csq:{acme}:';
my ($lib) = map { my %l = @$_; $l{library_name} }
            @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
my $now_ms = sub { int(time * 1000) };

# one run of the tick: { ended, assigned, swept }
sub tick {
    return redis_cmd('FCALL', "${lib}_tick", 1, "${T}tenant", $now_ms->(),
                     '', 'platform', '', '', '');
}
sub exists_ { return redis_cmd('EXISTS', $T . $_[0]) }
sub backdate {
    my ($index, $id, $minutes) = @_;
    redis_cmd('ZADD', $T . $index, $now_ms->() - $minutes * 60000, $id);
}

my ($s, $j) = api(GET => 'tenants/acme', undef, token => $p);
is $j->{retention_minutes}, 60, 'R9.6 the tenant\'s retention_minutes';
is $j->{visitor_retention_minutes}, 30, '... and visitor_retention_minutes';
($s) = api(PUT => 'tenants/acme', { retention_minutes => 0 }, token => $p);
is $s, 400, '... at least a minute';

# --- what is over, what is live

my $ended = arrive_ok('acme', customer => 'u-ended', queue => 'sales');
end_conv_ok('acme', $ended->{id});
my $ab = arrive_ok('acme', customer => 'u-ab', queue => 'nobody');
($s) = api(POST => "tenants/acme/conversations/$ab->{id}/leave", undef,
           token => $ab->{customer_token});
is $s, 200, 'a waiting customer leaves: abandoned, on the callback list';
my $live = arrive_ok('acme', customer => 'u-live', queue => 'sales');
my $wait = arrive_ok('acme', customer => 'u-wait', queue => 'nobody');
api(PUT => 'tenants/acme/customers/u-owned', { owner => 'alice' },
    token => $p);
my $owned = arrive_ok('acme', customer => 'u-owned', queue => 'sales');
end_conv_ok('acme', $owned->{id});

(undef, my $v1) = api(POST => 'tenants/acme/entry', { ch => 'l1' });
(undef, my $v2) = api(POST => 'tenants/acme/entry', { ch => 'l1' });
my ($old_v, $new_v) = ($v1->{visitor}{id}, $v2->{visitor}{id});
ok exists_("visitor:$old_v") && exists_("log:$ended->{id}"),
   'the visitors and the logs are there';

# the old events: entries of long ago, first in the stream
redis_cmd('DEL', "${T}events");
redis_cmd('XADD', "${T}events", '1000-0', 'type', 'old');
redis_cmd('XADD', "${T}events", '2000-0', 'type', 'old');
redis_cmd('XADD', "${T}events", '*', 'type', 'now');

# two hours ago, past the retention; the live ones stay as they are
backdate('ended', $ended->{id}, 120);
backdate('ended', $ab->{id}, 120);
backdate('ended', $owned->{id}, 30);          # within the retention
backdate('visitors', $old_v, 45);
backdate('customers', 'u-ended', 120);
backdate('customers', 'u-owned', 120);

my $r = tick();
ok $r->[2] >= 6, "R9.6 a tick deletes what is past the retention ($r->[2])";

ok !exists_("c:$ended->{id}"), '... the ended conversation';
ok !exists_("log:$ended->{id}"), '... its log';
ok !exists_("c:$ab->{id}"), '... the abandoned one';
is redis_cmd('ZSCORE', "${T}abandoned", $ab->{id}), undef,
   '... and its callback entry';
ok !exists_("visitor:$old_v"), '... the old visitor';
is redis_cmd('ZSCORE', "${T}visitors:ids", $old_v), undef,
   '... out of the search index';
is redis_cmd('SISMEMBER', "${T}link:l1:visitors", $old_v), 0,
   '... and of its link\'s visitors';
is redis_cmd('ZSCORE', "${T}link:l1:recent", $old_v), undef,
   '... and recent visitors';
ok !exists_('cust:u-ended'), '... the customer nobody owns';
is redis_cmd('XLEN', "${T}events"), 1, '... the old events';

ok exists_("c:$live->{id}") && exists_("log:$live->{id}"),
   'R9.6 the active conversation and its log stay';
ok exists_("c:$wait->{id}"), '... the waiting one';
ok exists_("c:$owned->{id}"), '... one ended within the retention';
ok exists_('cust:u-owned'), '... a customer with an owner';
ok exists_("visitor:$new_v"), '... a recent visitor';
is redis_cmd('SISMEMBER', "${T}link:l1:visitors", $new_v), 1,
   '... still among its link\'s visitors';
($s, $j) = api(GET => "tenants/acme/conversations/$live->{id}", undef,
               token => $p);
is $j->{state}, 'active', '... and the live conversation is served on';

# --- at most 200 of a kind a run

for my $i (1 .. 450) {
    redis_cmd('HSET', "${T}c:old$i", 'id', "old$i", 'state', 'ended');
}
redis_cmd('ZADD', "${T}ended",
          map { ($now_ms->() - 7200000 - $_, "old$_") } 1 .. 450);
my @runs = map { tick()->[2] } 1 .. 3;
is "@runs", '200 200 50', 'R9.6 a tick deletes at most 200 of a kind';
is scalar(@{ redis_cmd('KEYS', "${T}c:old*") }), 0, '... and so all in time';

# --- a conversation with the robot whose customer left ends

my $b = arrive_ok('acme', customer => 'u-bot', queue => 'bot');
is $b->{state}, 'bot', 'a customer talks to the robot';
my $ws = ws_open("/api/tenants/acme/chat/ws?token=$b->{customer_token}"
                 . "&conversation=$b->{id}");
ok $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }), '... on a socket';
$ws->close;
sleep 0.6;
tick();
is redis_cmd('HGET', "${T}c:$b->{id}", 'state'), 'ended',
   'R9.6 gone past the grace, the robot\'s conversation ends';
is redis_cmd('HGET', "${T}c:$b->{id}", 'end_reason'), 'left',
   '... reason "left", and it is kept for the retention';
ok defined redis_cmd('ZSCORE', "${T}ended", $b->{id}), '... in the index';

done_testing();
