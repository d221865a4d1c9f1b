# issue #14 §1 (R1.4, R2.4, R4.3): channels.  A channel's system posts
# what its users write to the channel's webhook, signed with the channel's
# key (HMAC over the timestamp and the body; stale or replayed deliveries
# refused, a retried event stored once); the conversation is routed as a
# chat arrival is.  What agents and the robot say goes back through the
# outbox: nginx posts it to the channel's url (a real HTTP server here,
# t::CsqReceiver) through its own upstream machinery, retries 5xx and
# silence with backoff under one Idempotency-Key, keeps what it gave up as
# dead letters an admin can send again, and tells the agent each
# message's delivery state.  A private contact of an offline owner waits
# for the owner and hears the offline auto-reply.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;
use t::CsqReceiver;

my $Json = JSON::PP->new->canonical;

redis_start();
my $rx = t::CsqReceiver->new("$t::CsqUtil::RepoRoot/t/servroot-rx");
my $RX = $rx->port;
my $rx2 = t::CsqReceiver->new("$t::CsqUtil::RepoRoot/t/servroot-rx2");
my $RX2 = $rx2->port;

# https: a TLS server of the same nginx in front of the receiver
my $TLS = free_port();
my $tdir = "$t::CsqUtil::RepoRoot/t/servroot-rx-tls";
mkdir $tdir;
system("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1"
       . " -days 2 -keyout $tdir/key.pem -out $tdir/cert.pem 2>/dev/null")
    == 0 or die "openssl req failed\n";

api_nginx_start(
    log_level => $ENV{CSQ_DEBUG} ? 'debug' : 'info',
    http_config => "    csq_tick 0;\n"
        . "    csq_outbox_allow http://127.0.0.1:$RX/ http://rx2/"
        . " https://127.0.0.1:$TLS/;\n"
        . "    upstream rx2 { server 127.0.0.1:$RX2; keepalive 4; }\n"
        . "    server { listen 127.0.0.1:$TLS ssl;\n"
        . "        ssl_certificate $tdir/cert.pem;\n"
        . "        ssl_certificate_key $tdir/key.pem;\n"
        . "        location / { proxy_pass http://127.0.0.1:$RX; } }\n",
    nginx => { main_config => $ENV{CSQ_CORE}
                   ? "worker_rlimit_core 500m; working_directory /tmp/cores;"
                   : '' },
    conf => outbox_location());

my $P = platform_token();
setup_tenant('acme', tenant => { return_hours => 0 },
             queues => { sales => {}, vip => {} },
             agents => { alice => { queues => ['sales'], capacity => 50 },
                         vera => { queues => ['vip'], capacity => 50 },
                         bob => { queues => ['sales'], capacity => 50,
                                  status => 'offline' } },
             fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob vera);

sub admin { tenant_call('acme', $P, @_) }

# a delivery to the channel's webhook, signed with ($gen, $key):
# (status, json)
sub inbound {
    my ($ch, $ev, %o) = @_;
    return channel_post('acme', $ch, delete $o{key}, $ev, %o);
}

my ($s, $j, $raw);

# --- channels: made by an admin, with a url the operator lets out

($s, $j) = tenant_call('acme', $T{alice}, PUT => 'channels/wx',
                       { name => 'WeChat' });
is $s, 403, 'R1.4 only an admin makes a channel';

($s, $j, $raw) = admin(PUT => 'channels/wx',
                       { name => 'WeChat', url => 'http://10.1.1.1/hook' });
is $s, 400, 'a url csq_outbox_allow does not let out is refused';
like $raw, qr/csq_outbox_allow/, '... saying why';

($s, $j) = admin(PUT => 'channels/wx', { name => 'WeChat', type => 'chat',
                 url => "http://127.0.0.1:$RX/hook", retry_base_ms => 200,
                 retry_max => 4 });
is $s, 201, 'a channel is made';
is_deeply [ @$j{qw(id name type url enabled generation)} ],
          [ 'wx', 'WeChat', 'chat', "http://127.0.0.1:$RX/hook",
            JSON::PP::true, 1 ], '... as given';

($s, $j) = admin(GET => 'channels/wx/key');
is $s, 200, 'GET channels/<id>/key';
my $KEY = $j->{key};
like $KEY, qr/^[0-9a-f]{64}$/, '... its key, derived, 64 hex digits';
is $j->{generation}, 1, '... and its generation';
is redis_cmd('HGET', 'csq:{acme}:ch:wx', 'key'), undef,
   '... which Redis never holds';

# --- inbound: signed, in time, once

my $n = 0;
sub msg {
    my ($user, $text, %o) = @_;
    return { id => $o{id} // ('ev' . ++$n), user => { id => $user,
             %{ $o{user} || {} } }, message => { kind => 'text',
             text => $text } };
}

($s, $j) = inbound('wx', msg('u1', 'hi'), key => $KEY, nosig => 1);
is $s, 401, 'R1.4 an unsigned delivery is refused';
is $j->{error}{code}, 'bad_signature', '... bad_signature';
($s, $j) = inbound('wx', msg('u1', 'hi'), key => 'f' x 64);
is $s, 401, 'a delivery signed with another key is refused';
($s, $j) = inbound('wx', msg('u1', 'hi'), key => $KEY, ts => time - 400);
is_deeply [ $s, $j->{error}{code} ], [ 401, 'stale_request' ],
   'a delivery older than csq_webhook_window (a replay) is refused';
($s, $j) = inbound('wx', msg('u1', 'hi'), key => $KEY, ts => time + 400);
is $s, 401, '... and one from the future';
($s, $j) = inbound('wx', msg('u1', 'hi'), key => $KEY, gen => 2);
is_deeply [ $s, $j->{error}{code} ], [ 401, 'bad_signature' ],
   'a key generation the channel has not had is refused';

my $wel = 'Welcome to acme';
($s) = admin(PUT => 'queues/sales', { welcome_text => $wel });
is $s, 200, 'the queue gets a welcome';

($s, $j, $raw) = inbound('wx', msg('u1', 'hello there', id => 'm-1'),
                         key => $KEY);
is $s, 201, 'a signed message of a new user makes a conversation';
my $cid = $j->{conversation};
ok $cid, '... named';
is $j->{customer}, 'wx.u1', '... of the customer its channel and user name';
my $c = conv('acme', $cid);
is $c->{agent}{id} // $c->{agent}, 'alice',
   '... routed as a chat arrival (to the queue\'s agent)';

($s, $j) = inbound('wx', msg('u1', 'hello there', id => 'm-1'), key => $KEY);
is_deeply [ $s, $j->{duplicate} ], [ 200, JSON::PP::true ],
   'the same event again (a retried delivery) is taken once';

($s, $j) = inbound('wx', msg('u1', 'second', id => 'm-2'), key => $KEY);
is_deeply [ $s, $j->{conversation} ], [ 200, $cid ],
   'the user\'s next message goes into its open conversation';

($s, $j) = tenant_call('acme', $T{alice}, GET =>
                       "conversations/$cid/messages");
my @texts = map { $_->{text} // () } @{ $j->{messages} || [] };
is scalar(grep { $_ eq 'hello there' } @texts), 1,
   '... and the retried one is in its log once';

# --- outbound: the welcome, the agent's reply, through the outbox

sub wait_requests {
    my ($want, $t) = @_;
    my $until = time + ($t // 5);
    my @r;
    while (time < $until) {
        @r = $rx->requests;
        return @r if $want->(@r);
        sleep 0.05;
    }
    return @r;
}

my @r = wait_requests(sub { grep { $_->{body} =~ /\Q$wel\E/ } @_ });
my ($w) = grep { $_->{body} =~ /\Q$wel\E/ } @r;
ok $w, 'R4.3 the queue\'s welcome goes out to the channel';
my $wb = $w && decode_json($w->{body});
is_deeply [ @$wb{qw(type channel user conversation kind)} ],
          [ 'message', 'wx', 'u1', $cid, 'text' ],
   '... a message to the user in its conversation';
is $w && $w->{path}, '/hook', '... posted to the channel\'s url';
my ($ts, $sig) = ($w->{headers}{'x-csq-timestamp'},
                  $w->{headers}{'x-csq-signature'});
is $sig, '1:' . hmac_sha256_hex("$ts.$w->{body}", $KEY),
   '... signed with the channel\'s key';
is $w->{headers}{'idempotency-key'}, "acme:$wb->{id}",
   '... with an Idempotency-Key of the tenant and the entry';

my $ws = ws_open("/api/tenants/acme/agent/ws?token=$T{alice}") or die;
$ws->wait_json(sub { $_[0]{type} eq 'hello' }) or die "hello\n";
$rx->clear;
$ws->send_json({ type => 'message', conversation => $cid, ref => 'r1',
                 text => 'How can I help?' });
my $ack = $ws->wait_json(sub { $_[0]{type} eq 'ack' });
my $eid = $ack->{id};
@r = wait_requests(sub { @_ >= 1 });
is scalar(@r), 1, 'the agent\'s reply goes out once';
my $rb = @r && decode_json($r[0]{body});
is_deeply [ @$rb{qw(text entry)} ], [ 'How can I help?', $eid ],
   '... naming its log entry';
is $rb->{from}{id}, 'alice', '... and who wrote it';
my $f = $ws->wait_json(sub { $_[0]{type} eq 'delivery'
                             && $_[0]{entry} eq $eid
                             && $_[0]{state} eq 'sent' });
ok $f, 'the agent\'s socket hears it was sent';
($s, $j) = tenant_call('acme', $T{alice}, GET =>
                       "conversations/$cid/delivery");
is $j->{entries}{$eid}, 'sent', 'GET delivery: sent';

($s, $j) = inbound('wx', { id => 'd-1', type => 'delivery',
                           conversation => $cid, entry => $eid,
                           status => 'delivered' }, key => $KEY);
is $s, 200, 'the channel reports the message delivered';
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $eid
                        && $_[0]{state} eq 'delivered' }),
   '... the agent hears it';
($s, $j) = tenant_call('acme', $T{alice}, GET =>
                       "conversations/$cid/delivery");
is $j->{entries}{$eid}, 'delivered', '... and GET delivery says so';

# --- retries: 5xx and silence again after a wait, one Idempotency-Key

sub say_wx {
    my ($text) = @_;
    $ws->send_json({ type => 'message', conversation => $cid,
                     ref => "r$text", text => $text });
    my $a = $ws->wait_json(sub { $_[0]{type} eq 'ack'
                                 && ($_[0]{ref} // '') eq "r$text" });
    return $a && $a->{id};
}

sub sent_of {
    my ($text, @r) = @_;
    return grep { $_->{body} =~ /"text":"\Q$text\E"/ } @r;
}

$rx->clear;
$rx->mode(script => [503, 503, 200]);
my $t0 = time;
my $e1 = say_wx('retry me');
@r = wait_requests(sub { grep { $_->{status} == 200 } @_ }, 8);
my @tries = sent_of('retry me', @r);
is scalar(@tries), 3, 'R1.4 a 503 is tried again until the receiver takes it';
is_deeply [ map { $_->{headers}{'x-csq-attempt'} } @tries ], [ 1, 2, 3 ],
   '... X-Csq-Attempt counts the tries';
my %keys = map { $_->{headers}{'idempotency-key'} => 1 } @tries;
is scalar(keys %keys), 1, '... all under one Idempotency-Key';
ok @tries == 3 && $tries[1]{at} - $tries[0]{at} >= 0.15
   && $tries[2]{at} - $tries[1]{at} >= 0.35,
   '... after a wait that doubles (retry_base_ms 200)';
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $e1
                        && $_[0]{state} eq 'sent' }), '... then it is sent';

# silence: the receiver answers after the read timeout (2 s)
$rx->clear;
$rx->mode(script => [200], delay => 2.5);
my $e2 = say_wx('slow one');
sleep 2.2;
$rx->mode(status => 200);
@r = wait_requests(sub { grep { $_->{status} == 200 && !$_->{slow} } @_ }
                   , 1);
@r = wait_requests(sub { sent_of('slow one', @_) >= 2 }, 6);
@tries = sent_of('slow one', @r);
ok @tries >= 2, 'a receiver that does not answer in time gets it again';
is scalar(keys %{{ map { $_->{headers}{'idempotency-key'} => 1 } @tries }}),
   1, '... with the same Idempotency-Key (it may drop the duplicate)';
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $e2
                        && $_[0]{state} eq 'sent' }, 6), '... and it is sent';

# --- dead letters

$rx->clear;
$rx->mode(status => 400);
my $e3 = say_wx('refused');
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $e3
                        && $_[0]{state} eq 'failed' }),
   'R1.4 a 4xx is not tried again: the agent hears it failed';
is scalar(sent_of('refused', $rx->requests)), 1, '... after one try';
($s, $j) = admin(GET => 'outbox');
is $s, 200, 'GET outbox: the dead letters';
my ($dl) = grep { ($_->{entry} // '') eq $e3 } @{ $j->{entries} };
ok $dl, '... it is there';
is_deeply [ $dl && @$dl{qw(state status attempts conversation)} ],
          [ 'dead', 400, 1, $cid ], '... with its last status and tries';
($s) = tenant_call('acme', $T{alice}, GET => 'outbox');
is $s, 403, '... an admin\'s';

$rx->mode(status => 200);
($s, $j) = admin(POST => "outbox/$dl->{id}/retry");
is_deeply [ $s, $j->{state} ], [ 200, 'queued' ],
   'an admin sends a dead letter again';
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $e3
                        && $_[0]{state} eq 'sent' }), '... and it goes out';
my @two = sent_of('refused', $rx->requests);
is $two[-1]{headers}{'idempotency-key'}, $two[0]{headers}{'idempotency-key'},
   '... under its Idempotency-Key';
($s, $j) = admin(POST => "outbox/$dl->{id}/retry");
is $s, 404, 'a letter that is not dead is not sent again';

$rx->clear;
$rx->mode(status => 502);
my $e4 = say_wx('never');
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{entry} eq $e4
                        && $_[0]{state} eq 'failed' }, 8),
   'a 5xx tried retry_max times (4) dies';
is scalar(sent_of('never', $rx->requests)), 4, '... after 4 tries';
$rx->mode(status => 200);

# --- order: a conversation's messages go out one after another

$rx->clear;
$rx->mode(status => 200, delay => 0.2);
my @e = map { say_wx("order $_") } 1 .. 5;
@r = wait_requests(sub { @_ >= 5 }, 8);
is_deeply [ map { /"text":"(order \d)"/ ? $1 : () } map { $_->{body} } @r ],
          [ map { "order $_" } 1 .. 5 ],
   'R1.4 a conversation\'s messages reach the channel in their order';
$rx->mode(status => 200);

# --- the receiver down for a while: nothing lost

$rx->stop;
$rx->clear;
my @down = map { say_wx("down $_") } 1 .. 3;
sleep 1.5;
$rx->start;
@r = wait_requests(sub { (grep { $_->{body} =~ /down 3/ } @_) }, 10);
my %got = map { /"text":"(down \d)"/ ? ($1 => 1) : () }
          map { $_->{body} } @r;
is_deeply [ sort keys %got ], [ 'down 1', 'down 2', 'down 3' ],
   'a receiver that was down gets every message when it is back';

# --- a channel through an upstream block (keepalive)

($s, $j) = admin(PUT => 'channels/qq', { name => 'QQ',
                 url => 'http://rx2/in', queue => 'vip' });
is $s, 201, 'a channel whose url names an upstream block';
($s, $j) = admin(GET => 'channels/qq/key');
my $QK = $j->{key};
($s, $j) = inbound('qq', msg('q9', 'hello from qq'), key => $QK);
is $s, 201, '... takes a message';
my $qc = conv('acme', $j->{conversation});
is $qc->{queue}, 'vip', '... into the channel\'s queue';
my $wv = ws_open("/api/tenants/acme/agent/ws?token=$T{vera}") or die;
$wv->wait_json(sub { $_[0]{type} eq 'hello' });
$wv->send_json({ type => 'message', conversation => $qc->{id}, ref => 'v1',
                 text => 'vera here' });
my $qa = $wv->wait_json(sub { $_[0]{type} eq 'ack' });
ok $wv->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{state} eq 'sent'
                        && $_[0]{entry} eq $qa->{id} }),
   '... and its replies go out through the upstream';
my ($q2) = grep { $_->{body} =~ /vera here/ } $rx2->requests;
is $q2 && $q2->{path}, '/in', '... to its server';

# --- https

($s, $j) = admin(PUT => 'channels/tls', { url => "https://127.0.0.1:$TLS/tls",
                 queue => 'vip' });
is $s, 201, 'a channel with an https url';
($s, $j) = admin(GET => 'channels/tls/key');
my $TK = $j->{key};
($s, $j) = inbound('tls', msg('t1', 'over tls'), key => $TK);
$wv->send_json({ type => 'message', conversation => $j->{conversation},
                 ref => 'v-tls', text => 'tls reply' });
$qa = $wv->wait_json(sub { $_[0]{type} eq 'ack' });
ok $wv->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{state} eq 'sent'
                        && $_[0]{entry} eq $qa->{id} }),
   'R1.4 the outbox posts over https';
my ($tr) = grep { $_->{body} =~ /tls reply/ } $rx->requests;
is $tr && $tr->{path}, '/tls', '... through the TLS server to its url';

# --- one customer on every channel; the rules see the channel

my ($cs) = admin(PUT => 'customers/k77', { name => 'Kim',
                 phone => '+8613800000077', library => JSON::PP::true });
($s, $j) = inbound('wx', msg('kim-wx', 'it is Kim', user => {
                   phone => '+8613800000077' }), key => $KEY);
is $j->{customer}, 'k77',
   'R1.4 a channel user with a known phone is that customer';
($s, $j) = inbound('qq', msg('kim-qq', 'Kim on QQ', user => {
                   phone => '+8613800000077' }), key => $QK);
is $j->{customer}, 'k77', '... on another channel too';

($s) = admin(PUT => 'rules', { rules => [ { match => { channel => 'wx' },
                                             queue => 'vip' } ],
                               fallback_queue => 'sales' });
is $s, 200, 'a routing rule on the channel';
($s, $j) = inbound('wx', msg('u-rule', 'by rule'), key => $KEY);
is conv('acme', $j->{conversation})->{queue}, 'vip',
   '... routes a channel\'s arrival';
admin(PUT => 'rules', { rules => [], fallback_queue => 'sales' });

# --- bad input is not taken as seen; a blacklisted user is refused

($s, $j) = inbound('wx', { id => 'bad-1', user => { id => 'u5' },
                           message => { kind => 'text' } }, key => $KEY);
is $s, 400, 'a message without its text is refused';
($s, $j) = inbound('wx', msg('u5', 'fixed', id => 'bad-1'), key => $KEY);
is $s, 201, '... and the same event, fixed, is taken (not a duplicate)';

# --- no page socket: a channel's conversation is not let go

($s) = api(PUT => 'tenants/acme', { connect_grace_seconds => 1 },
           token => $P);
($s, $j) = inbound('wx', msg('u-grace', 'still here'), key => $KEY);
my $gc = $j->{conversation};
sleep 1.5;
my ($lib) = map { my %l = @$_; $l{library_name} }
            @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
sub tick {
    return redis_cmd('FCALL', "${lib}_tick", 1, 'csq:{acme}:tenant',
                     int(time * 1000), '', 'platform', '', '', '');
}
tick();
is conv('acme', $gc)->{state}, 'active',
   'R1.4 a channel\'s conversation has no page socket to wait for';
my $web = arrive_ok('acme', customer => 'web-grace');
sleep 1.5;
tick();
isnt conv('acme', $web->{id})->{state}, 'active',
   '... as a page\'s arrival has (the tick lets that one go)';

# --- R2.4: an offline owner's private contact

admin(PUT => 'customers/priv1', { name => 'Pat', owner => 'bob',
                                  private => JSON::PP::true,
                                  library => JSON::PP::true });
redis_cmd('HSET', 'csq:{acme}:ident', 'i:wx.pat', 'priv1');
$rx->clear;
($s, $j) = inbound('wx', msg('pat', 'are you there, Bob?'), key => $KEY);
my $pc = $j->{conversation};
is $j->{customer}, 'priv1', 'R2.4 a private contact writes';
is conv('acme', $pc)->{state}, 'queued',
   '... its offline owner\'s conversation waits for the owner';
@r = wait_requests(sub { grep { $_->{body} =~ /"conversation":"$pc".*away/
                                 || $_->{body} =~ /away.*"conversation":"$pc"/
                               } @_ });
my ($off) = grep { $_->{body} =~ /"conversation":"$pc"/
                   && $_->{body} =~ /away/ } @r;
like $off && decode_json($off->{body})->{text}, qr/away right now/,
   '... and the customer hears the offline auto-reply';
set_status('acme', 'bob', status => 'online');
is conv('acme', $pc)->{agent}{id}, 'bob',
   '... which the owner gets when back';
($s, $j) = tenant_call('acme', $T{bob}, GET => "conversations/$pc/messages");
ok scalar(grep { ($_->{text} // '') eq 'are you there, Bob?' }
          @{ $j->{messages} }), '... with the message kept for it';

# --- bounds

($s) = admin(PUT => 'channels/wx', { dedup_max => 10 });
is $s, 200, 'dedup_max 10';
inbound('wx', msg('u-d', "d$_", id => "dd$_"), key => $KEY) for 1 .. 11;
is redis_cmd('ZCARD', 'csq:{acme}:ch:wx:seen'), 10,
   'R1.4 a channel keeps at most dedup_max event ids';

$rx->stop;
($s) = api(PUT => 'tenants/acme', { outbox_max => 3 }, token => $P);
my $waiting = redis_cmd('GET', 'csq:{acme}:ob:n') // 0;
my @full = map { say_wx("full $_") } 1 .. (4 - $waiting);
ok $ws->wait_json(sub { $_[0]{type} eq 'delivery'
                        && $_[0]{entry} eq $full[-1]
                        && $_[0]{state} eq 'failed'
                        && ($_[0]{detail} // '') eq 'outbox_full' }),
   'R1.4 a tenant\'s outbox holds at most outbox_max: then a message fails';
api(PUT => 'tenants/acme', { outbox_max => 100000 }, token => $P);
$rx->start;

# --- key rotation

($s, $j) = admin(PUT => 'channels/wx', { rotate_key => JSON::PP::true });
is $j->{generation}, 2, 'rotate_key: a new key generation';
($s, $j) = admin(GET => 'channels/wx/key');
my $KEY2 = $j->{key};
isnt $KEY2, $KEY, '... a new key';
($s) = inbound('wx', msg('u1', 'new key'), key => $KEY2, gen => 2);
is $s, 200, '... that signs';
($s) = inbound('wx', msg('u1', 'old key'), key => $KEY, gen => 1);
is $s, 200, '... while the one before still does for a day';

# --- a deleted channel: its replies are dead letters

($s) = admin(DELETE => 'channels/qq');
is $s, 200, 'a channel is deleted';
$wv->send_json({ type => 'message', conversation => $qc->{id}, ref => 'v2',
                 text => 'anyone?' });
$qa = $wv->wait_json(sub { $_[0]{type} eq 'ack' });
ok $wv->wait_json(sub { $_[0]{type} eq 'delivery' && $_[0]{state} eq 'failed'
                        && $_[0]{entry} eq $qa->{id} }),
   '... what its conversations say dies';
($s, $j) = inbound('qq', msg('q9', 'hello?'), key => $QK);
is $s, 404, '... and its webhook is gone';

unlike nginx_error_log(), qr/\[(alert|crit|emerg)\]|signal 11/,
       'no alert or crash in the error log';
is valgrind_report(), '', 'valgrind: clean' if $t::CsqUtil::UseValgrind;

done_testing;
