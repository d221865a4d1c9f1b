# issue #14 §2 (R7.1-R7.3, R7.5, R6.5): the phone.  The telephony system
# is a channel of type "phone": it posts call events (ringing, answered,
# hung up; inbound and outbound), signed like any channel's; agents bind an
# extension; a ringing call pops up on its agent's workbench with the
# customer its number belongs to, or none (a new-customer form); the agent
# relinks a call and writes its note; calls are in the customer's service
# records and trajectory; an inbound call nobody answered is a lost call on
# the callback list; one click asks the telephony system to call back
# (through the outbox, to a real receiver here); texts go from templates to
# the SMS gateway the same way and are kept in the customer's records.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
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
             agents => { alice => { queues => ['sales'], capacity => 5 },
                         bob => { queues => ['sales'], capacity => 5 },
                         sue => { role => 'supervisor' } },
             fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob sue);
sub admin { tenant_call('acme', $P, @_) }
sub as { my $who = shift; tenant_call('acme', $T{$who}, @_) }

my ($s, $j, $raw);

($s, $j) = as(alice => POST => 'calls/callback', { number => '13800000001' });
is_deeply [ $s, $j->{error}{code} ], [ 409, 'no_phone_channel' ],
   'R7.2 no phone channel: a callback says so';

($s) = admin(PUT => 'channels/tel', { type => 'phone', name => 'PBX',
             url => "http://127.0.0.1:$RX/dial" });
is $s, 201, 'a phone channel (the telephony system)';
($s) = admin(PUT => 'channels/sms', { type => 'sms', name => 'SMS',
             url => "http://127.0.0.1:$RX/sms" });
is $s, 201, 'an sms channel (the gateway)';
($s, $j) = admin(GET => 'channels/tel/key');
my %K = (tel => $j->{key});

sub post_event {
    my ($ch, $ev) = @_;
    return channel_post('acme', $ch, $K{$ch}, $ev);
}
my $ev = 0;
sub call_event {
    my ($id, $event, %o) = @_;
    return post_event('tel', { id => 'ev' . ++$ev, type => 'call',
                               call => { id => $id, event => $event,
                                         direction => 'inbound', %o } });
}

# --- extensions

($s, $j) = as(alice => PUT => 'agents/alice/extension',
              { extension => '8001' });
is_deeply [ $s, $j->{extension} ], [ 200, '8001' ],
   'R7.1 an agent binds its extension';
($s) = as(alice => PUT => 'agents/bob/extension', { extension => '8002' });
is $s, 403, '... not another agent\'s';
($s) = as(sue => PUT => 'agents/bob/extension', { extension => '8002' });
is $s, 200, '... a supervisor binds anyone\'s';
($s) = as(alice => PUT => 'agents/alice/extension', { extension => 'a b' });
is $s, 400, 'an extension is 1-32 of digits, letters, * # - .';
($s, $j) = as(alice => GET => 'agents/alice');
is $j->{extension}, '8001', 'GET agents/<id> says its extension';

# --- a known number rings: the screen-pop

($s) = admin(PUT => 'customers/k1', { name => 'Kai', phone => '13800000001',
             library => JSON::PP::true });
my $ws = ws_open("/api/tenants/acme/agent/ws?token=$T{alice}") or die;
$ws->wait_json(sub { $_[0]{type} eq 'hello' }) or die;

my $t0 = time;
($s, $j) = call_event('call1', 'ringing', from => '13800000001',
                      to => '4000', extension => '8001');
is $s, 201, 'R7.1 a ringing call is taken';
my $pop = $ws->wait_json(sub { $_[0]{type} eq 'call' }, 1);
ok $pop, 'the bound agent\'s workbench hears it within a second';
is $pop && $pop->{call}{state}, 'ringing', '... ringing';
is $pop && $pop->{customer}{id}, 'k1',
   '... with the customer its number belongs to';
is $pop && $pop->{customer}{name}, 'Kai', '... and its profile';

($s, $j) = post_event('tel', { id => 'ev1', type => 'call',
                               call => { id => 'call1', event => 'ringing',
                                         direction => 'inbound' } });
is $j->{duplicate}, JSON::PP::true, 'a retried event is taken once';

call_event('call1', 'answered', extension => '8001');
my $ans = $ws->wait_json(sub { $_[0]{type} eq 'call'
                               && $_[0]{call}{state} eq 'answered' });
ok $ans, '... answered';
sleep 1.1;
call_event('call1', 'hungup', recording => 'https://rec.example/1.mp3');
my $end = $ws->wait_json(sub { $_[0]{type} eq 'call'
                               && $_[0]{call}{state} eq 'ended' });
is_deeply [ $end && @{ $end->{call} }{qw(result direction recording)} ],
          [ 'answered', 'inbound', 'https://rec.example/1.mp3' ],
   'R7.2 hung up: a call record with its result and recording';
ok $end && $end->{call}{duration} >= 1, '... and its duration';

($s, $j) = as(alice => PUT => 'calls/call1', { note => 'wants a quote' });
is_deeply [ $s, $j->{note} ], [ 200, 'wants a quote' ],
   '... the agent writes its note';
($s) = as(bob => PUT => 'calls/call1', { note => 'mine' });
is $s, 403, '... another agent may not';

($s, $j) = as(alice => GET => 'customers/k1/records');
my ($rec) = grep { $_->{kind} eq 'call' } @{ $j->{items} };
is_deeply [ $rec && @$rec{qw(id note result)} ],
          [ 'call1', 'wants a quote', 'answered' ],
   'R6.5 the call is in the customer\'s service records';
($s, $j) = as(alice => GET => 'customers/k1/trajectory');
ok scalar(grep { $_->{kind} eq 'call' } @{ $j->{items} }),
   'R5.4 ... and its trajectory';

($s, $j) = as(alice => POST => 'tickets', { call => 'call1',
                                           title => 'Send a quote' });
is_deeply [ $s, $j->{customer}, $j->{call} ], [ 201, 'k1', 'call1' ],
   'R6.5 a ticket made from a call is its customer\'s';

# --- an unknown number: no customer; relinked to a new one

($s, $j) = call_event('call2', 'ringing', from => '13900000002',
                      extension => '8001');
$pop = $ws->wait_json(sub { $_[0]{type} eq 'call'
                            && $_[0]{call}{id} eq 'call2' }, 1);
ok $pop && !defined $pop->{customer},
   'R7.1 an unknown number pops up with no customer (a new-customer form)';
is $pop && $pop->{call}{number}, '13900000002', '... and its number';
($s) = as(alice => PUT => 'customers/n2', { name => 'New',
          phone => '13900000002', library => JSON::PP::true });
($s, $j) = as(alice => PUT => 'calls/call2', { customer => 'n2' });
is_deeply [ $s, $j->{customer} ], [ 200, 'n2' ],
   'the agent relinks the call to the new customer';
($s, $j) = as(alice => GET => 'customers/n2/records');
ok scalar(grep { $_->{kind} eq 'call' && $_->{id} eq 'call2' }
          @{ $j->{items} }), '... whose records have it';
($s) = as(alice => PUT => 'calls/call2', { customer => 'k1' });
($s, $j) = as(alice => GET => 'customers/n2/records');
ok !scalar(grep { $_->{kind} eq 'call' } @{ $j->{items} }),
   '... relinked again, it leaves the first one\'s';
($s) = as(alice => PUT => 'calls/call2', { customer => 'nobody-here' });
is $s, 404, 'a relink to no such customer is refused';

# --- a lost call; a callback

($s, $j) = call_event('call3', 'ringing', from => '13800000001');
sleep 0.2;
($s, $j) = call_event('call3', 'hungup');
is $j->{call}{result}, 'missed', 'R7.5 an inbound call nobody answered: missed';
($s, $j) = as(sue => GET => 'callbacks');
my ($cb) = grep { $_->{id} eq 'call.call3' } @{ $j->{callbacks} || [] };
ok $cb, '... on the callback list';
is $cb && $cb->{kind}, 'call', '... as a call';

$rx->clear;
($s, $j) = as(alice => POST => 'calls/callback', { call => 'call3' });
is $s, 202, 'R7.2 one click asks for a callback';
is $j->{number}, '13800000001', '... to the lost call\'s number';
my @r;
for (1 .. 50) {
    @r = $rx->requests;
    last if @r;
    sleep 0.05;
}
my $req = @r && decode_json($r[0]{body});
is $r[0] && $r[0]{path}, '/dial', '... posted to the telephony system';
is_deeply [ $req && @$req{qw(type number agent extension customer
                             callback_of)} ],
          [ 'call_request', '13800000001', 'alice', '8001', 'k1', 'call3' ],
   '... an outbound-call request for the agent\'s extension';
ok $r[0] && $r[0]{headers}{'idempotency-key'} =~ /^acme:o\d+$/,
   '... with its Idempotency-Key';
is redis_cmd('HGET', 'csq:{acme}:cb:call.call3', 'tried_by'), 'alice',
   'R7.5 the callback list says who called back';

($s) = as(alice => POST => 'calls/callback', { number => 'none' });
is $s, 400, 'a callback needs a phone number';

# --- an outbound call from the workbench's request

($s, $j) = post_event('tel', { id => 'o-1', type => 'call', call => {
    id => 'call4', event => 'ringing', direction => 'outbound',
    from => '4000', to => '13800000001', extension => '8001' } });
$pop = $ws->wait_json(sub { $_[0]{type} eq 'call'
                            && $_[0]{call}{id} eq 'call4' }, 1);
is_deeply [ $pop && @{ $pop->{call} }{qw(direction number)},
            $pop && $pop->{customer}{id} ],
          [ 'outbound', '13800000001', 'k1' ],
   'R7.1 an outbound call pops up too, with the callee as the customer';
post_event('tel', { id => 'o-2', type => 'call', call => {
    id => 'call4', event => 'hungup', direction => 'outbound' } });
($s, $j) = as(alice => GET => 'calls/call4');
is $j->{result}, 'no_answer', '... unanswered: no_answer';
ok !redis_cmd('EXISTS', 'csq:{acme}:cb:call.call4'),
   '... and not a lost call';

($s, $j) = as(alice => GET => 'calls?agent=me');
is_deeply [ map { $_->{id} } @{ $j->{calls} } ], [ 'call4', 'call2', 'call1' ],
   'GET calls?agent=me: the agent\'s calls, newest first';
($s) = as(alice => GET => 'calls?agent=bob');
is $s, 403, '... not another\'s';

# --- the wrong kind for a channel

($s, $j) = post_event('tel', { id => 'x1', user => { id => 'u' },
                               message => { kind => 'text', text => 'hi' } });
is $s, 409, 'a phone channel takes no chat messages';

# --- SMS templates and texts

($s) = as(alice => PUT => 'sms-templates/remind', { text => 'x' });
is $s, 403, 'R7.3 an agent does not write templates';
($s, $j) = as(sue => PUT => 'sms-templates/remind', { name => 'Reminder',
    text => 'Hi {{name}}, your order {{order}} ships today. {{agent}}' });
is $s, 201, '... a supervisor does';
($s, $j) = as(alice => GET => 'sms-templates');
is_deeply [ map { $_->{id} } @{ $j->{templates} } ], [ 'remind' ],
   '... agents list them';

($s, $j) = as(alice => POST => 'sms', { template => 'remind',
                                        customer => 'k1' });
is $s, 400, 'a variable without a value is refused';
like $j->{error}{message}, qr/\{\{order\}\}/, '... naming it';

$rx->clear;
($s, $j) = as(alice => POST => 'sms', { template => 'remind',
              customer => 'k1', vars => { order => 'A-17' } });
is $s, 202, 'R7.3 a text from a template';
is $j->{text}, 'Hi Kai, your order A-17 ships today. alice',
   '... its variables filled in';
for (1 .. 50) {
    @r = $rx->requests;
    last if @r;
    sleep 0.05;
}
my $sms = @r && decode_json($r[0]{body});
is_deeply [ $r[0] && $r[0]{path}, $sms && @$sms{qw(type to text)} ],
          [ '/sms', 'sms', '13800000001',
            'Hi Kai, your order A-17 ships today. alice' ],
   '... goes to the SMS gateway';
($s, $j) = as(alice => GET => 'customers/k1/records');
ok scalar(grep { $_->{kind} eq 'sms' && $_->{text} =~ /A-17/ }
          @{ $j->{items} }), 'R6.5 ... and into the customer\'s records';
($s, $j) = as(alice => GET => 'customers/k1/trajectory');
ok scalar(grep { $_->{kind} eq 'sms' && $_->{text} =~ /A-17/ }
          @{ $j->{items} }), 'R5.4 ... and its trajectory';

my $limited = 0;
for (1 .. 31) {
    ($s) = as(bob => POST => 'sms', { template => 'remind',
              number => '13700000000', vars => { order => $_,
              name => 'x' } });
    $limited++ if $s == 429;
}
ok $limited >= 1, 'an agent sends at most 30 texts a minute';

# --- retention

my ($lib) = map { my %l = @$_; $l{library_name} }
            @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
redis_cmd('ZADD', 'csq:{acme}:calls', int(time * 1000) - 200 * 86400000,
          'call3');
redis_cmd('FCALL', "${lib}_tick", 1, 'csq:{acme}:tenant', int(time * 1000),
          '', 'platform', '', '', '');
ok !redis_cmd('EXISTS', 'csq:{acme}:call:call3'),
   'R9.6 a call past the retention is deleted';
ok !redis_cmd('EXISTS', 'csq:{acme}:cb:call.call3'),
   '... with its callback entry';
ok !redis_cmd('ZSCORE', 'csq:{acme}:cust:k1:calls', 'call3'),
   '... and its place in the customer\'s records';

unlike nginx_error_log(), qr/\[(alert|crit|emerg)\]|signal 11/,
       'no alert or crash in the error log';
is valgrind_report(), '', 'valgrind: clean' if $t::CsqUtil::UseValgrind;

done_testing;
