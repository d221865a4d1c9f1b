# issue #14 §1 (R1.4): what the workbench reads of channels.  A
# conversation's view names its customer's record (customer_id: one
# customer on several channels, for the per-channel tabs) and, for a
# channel's conversation, the channel's name and type; GET delivery gives
# a failed message's reason (details); a dead letter an admin sends again
# tells the agent it is queued again, then sent.  The receiver is a real
# HTTP server (t::CsqReceiver).

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(time);
use JSON::PP;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;
use t::CsqReceiver;

my $Json = JSON::PP->new->canonical;

redis_start();
my $rx = t::CsqReceiver->new("$t::CsqUtil::RepoRoot/t/servroot-rx");
my $RX = $rx->port;

api_nginx_start(
    log_level => 'info',
    http_config => "    csq_tick 0;\n"
        . "    csq_outbox_allow http://127.0.0.1:$RX/;\n",
    conf => outbox_location());

my $P = platform_token();
setup_tenant('acme', tenant => { return_hours => 0 },
             queues => { sales => {} },
             agents => { alice => { queues => ['sales'], capacity => 50 } },
             fallback => 'sales');
my $A = login_token('acme', 'alice');
sub admin { tenant_call('acme', $P, @_) }

my ($s, $j) = admin(PUT => 'channels/wx', { name => 'WeChat', type => 'chat',
                    url => "http://127.0.0.1:$RX/hook" });
is $s, 201, 'a channel';
my $KEY = (admin(GET => 'channels/wx/key'))[1]{key};
admin(PUT => 'customers/kim', { name => 'Kim', phone => '+8613800000099',
                                library => JSON::PP::true });

my $n = 0;
sub inbound {
    my ($ev) = @_;
    my ($st, $j) = channel_post('acme', 'wx', $KEY, { id => 'e' . ++$n, %$ev });
    return ($st, $j);
}

# --- the views name the record and the channel

($s, $j) = inbound({ user => { id => 'kim-wx', phone => '+8613800000099' },
                     message => { kind => 'text', text => 'hi' } });
is $s, 201, 'Kim writes through the channel';
my $cid = $j->{conversation};
my $v = conv('acme', $cid);
is_deeply [ @$v{qw(channel channel_name channel_type customer_id)} ],
          [ 'wx', 'WeChat', 'chat', 'kim' ],
   'R1.4 its view: the channel, its name and type, the customer\'s record';
isnt $v->{customer}, 'kim', '... (the conversation\'s customer is the '
   . 'channel\'s alias)';

my $web = arrive_ok('acme', customer => 'kim');
$v = conv('acme', $web->{id});
is $v->{customer_id}, 'kim', 'a web chat of Kim\'s: the same record';
ok !exists $v->{channel_name} && !exists $v->{channel_type},
   '... and no channel name or type';

$j = agent_convs('acme', 'alice');
my %by = map { $_->{id} => $_ } @{ $j->{active} };
is_deeply [ map { $by{$_}{customer_id} // '' } $cid, $web->{id} ],
          [ 'kim', 'kim' ], 'the agent\'s list carries the record too';
is $by{$cid}{channel_name}, 'WeChat', '... and the channel\'s name';

my $ws = ws_open("/api/tenants/acme/agent/ws?token=$A") or die;
my $hello = $ws->wait_json(sub { $_[0]{type} eq 'hello' }) or die;
my ($hv) = grep { $_->{id} eq $cid } @{ $hello->{conversations} };
is_deeply [ $hv && @$hv{qw(channel_name channel_type customer_id)} ],
          [ 'WeChat', 'chat', 'kim' ], '... so does the socket\'s hello';

admin(PUT => 'channels/wx', { name => 'WeChat service' });
is conv('acme', $cid)->{channel_name}, 'WeChat service',
   '... the channel\'s name as it is now';

# --- a failure's reason, then a resend

$rx->mode(status => 400);
$ws->send_json({ type => 'message', conversation => $cid, ref => 'r1',
                 text => 'refused' });
my $eid = $ws->wait_json(sub { $_[0]{type} eq 'ack' })->{id};
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $eid
                        && $_[0]{state} eq 'failed' }), 'a refused reply fails';
($s, $j) = tenant_call('acme', $A, GET => "conversations/$cid/delivery");
is $j->{entries}{$eid}, 'failed', 'GET delivery: failed';
is $j->{details}{$eid}, '400', '... with its reason in details';
is_deeply [ sort keys %{ $j->{entries} } ], [ $eid ],
   '... which entries do not list';

$rx->mode(status => 200);
my ($dl) = grep { ($_->{entry} // '') eq $eid }
           @{ (admin(GET => 'outbox'))[1]{entries} };
# (a socket of its own: the frames of the first try are not in its way)
$ws = ws_open("/api/tenants/acme/agent/ws?token=$A") or die;
$ws->wait_json(sub { $_[0]{type} eq 'hello' }) or die;
($s) = admin(POST => "outbox/$dl->{id}/retry");
is $s, 200, 'an admin resends it';
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $eid
                        && $_[0]{state} eq 'queued' }),
   'R1.4 the agent hears it is queued again';
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $eid
                        && $_[0]{state} eq 'sent' }), '... then sent';
($s, $j) = tenant_call('acme', $A, GET => "conversations/$cid/delivery");
is_deeply [ $j->{entries}{$eid}, $j->{details}{$eid} ], [ 'sent', undef ],
   '... and GET delivery says sent, with no reason left';

unlike nginx_error_log(), qr/\[(alert|crit|emerg)\]|signal 11/,
       'no alert or crash in the error log';

done_testing;
