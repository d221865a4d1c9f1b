# issue #5, R5.1, R5.2: messages over the customer and agent sockets.
# Customer <-> agent in order with ids; the sender's ack only once Redis
# stored it; a customer with two tabs and an agent with two devices all
# receive, across 4 workers and across two nginx instances on one Redis;
# kinds (text, image, file, card) and their checks; typing and read
# receipts; errors that change nothing.

use strict;
use warnings;

use JSON::PP ();
use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
my $port_a = api_nginx_start(workers => 4, log_level => 'info');
my ($port_b) = nginx_twin('relay-b');

setup_tenant('acme', queues => { sales => {} },
             agents => { alice => { queues => ['sales'], capacity => 5 },
                         bob => { queues => ['sales'], capacity => 5,
                                  status => 'offline' } },
             fallback => 'sales');

my $alice = login_token('acme', 'alice');

# a customer arrives (alice takes it); its socket path
my $c = arrive_ok('acme', customer => 'u1');
my $cid = $c->{id};
is agent_of($c), 'alice', 'the conversation goes to alice';
my $cpath = "/api/tenants/acme/chat/ws?token=$c->{customer_token}"
          . "&conversation=$cid";
my $apath = "/api/tenants/acme/agent/ws?token=$alice";

# sockets spread over both nginx and several connections (workers)
sub open_ok {
    my ($path, $port, $what) = @_;
    my $ws = ws_open($path, port => $port);
    ok $ws, "$what opens" or diag ws_error();
    my $hello = $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' });
    ok $hello, "$what gets its hello";
    return $ws;
}

my @tabs = map { open_ok($cpath, $_ % 2 ? $port_b : $port_a, "tab $_") }
           1 .. 2;
my @devices = map { open_ok($apath, $_ % 2 ? $port_a : $port_b,
                            "device $_") } 1 .. 2;

# --- R5.1: in order, with ids, everyone gets everything

my @sent;
for my $i (1 .. 20) {
    my ($ws, $who) = $i % 3 ? ($tabs[$i % 2], 'customer')
                            : ($devices[$i % 2], 'agent');
    my %m = (type => 'message', text => "m$i", ref => "r$i");
    $m{conversation} = $cid if $who eq 'agent';
    $ws->send_json(\%m);
    my $ack = $ws->wait_json(sub { $_[0]{type} =~ /^(ack|error)$/
                                   && ($_[0]{ref} // '') eq "r$i" });
    ok $ack && $ack->{type} eq 'ack' && $ack->{id} =~ /^\d+-\d+$/,
       "message $i acknowledged with an id" or diag explain $ack;
    push @sent, { text => "m$i", id => $ack && $ack->{id}, who => $who };
}

my @ids = map { $_->{id} } @sent;
for my $ws (@tabs, @devices) {
    my @got;
    while (@got < 20) {
        my $m = $ws->wait_json(sub { $_[0]{type} eq 'message'
                                     && ($_[0]{kind} // '') eq 'text' });
        last unless $m;
        push @got, $m;
    }
    is_deeply [map { $_->{id} } @got], \@ids,
        'every socket gets the 20 messages once, in order, with the ack ids';
    is_deeply [map { $_->{text} } @got], [map { $_->{text} } @sent],
        '... and their texts';
    is_deeply [map { $_->{from}{role} } @got], [map { $_->{who} } @sent],
        '... and who sent them';
}

# ids grow: the log's order
my @sorted = sort { my @x = split /-/, $a; my @y = split /-/, $b;
                    $x[0] <=> $y[0] || $x[1] <=> $y[1] } @ids;
is_deeply \@sorted, \@ids, 'log ids grow in the order of the acks';

# the log in Redis holds them (the durable truth)
my $len = redis_cmd('XLEN', "csq:{acme}:log:$cid");
cmp_ok $len, '>=', 20, "the conversation's log holds the messages ($len)";

# --- R5.2: kinds

my @kinds = (
    [ { kind => 'image', url => 'https://cdn.example/a.png', name => 'a.png' },
      1, 'image link' ],
    [ { kind => 'file', url => 'https://cdn.example/f.pdf', name => 'f.pdf',
        size => 1234 }, 1, 'file link' ],
    [ { kind => 'card', url => 'https://shop.example/p/1',
        title => 'Blue shoe', description => 'size 42',
        image => 'https://cdn.example/s.png' }, 1, 'link card' ],
    [ { kind => 'image', url => 'javascript:alert(1)' }, 0,
      'an image link must be http(s)' ],
    [ { kind => 'card', url => 'https://x.example' }, 0,
      'a card needs a title' ],
    [ { kind => 'text', text => '' }, 0, 'an empty text is refused' ],
    [ { kind => 'text', text => 'x' x 10001 }, 0, 'a text over 10000 bytes' ],
    [ { kind => 'system', text => 'forged' }, 0,
      'clients cannot send system events' ],
);
my $n = 0;
for my $k (@kinds) {
    my ($body, $ok, $what) = @$k;
    $n++;
    my $before = redis_cmd('XLEN', "csq:{acme}:log:$cid");
    $tabs[0]->send_json({ type => 'message', ref => "k$n", %$body });
    my $a = $tabs[0]->wait_json(sub { ($_[0]{ref} // '') eq "k$n"
                                      && $_[0]{type} =~ /^(ack|error)$/ });
    if ($ok) {
        is $a && $a->{type}, 'ack', "R5.2 $what: accepted";
        my $m = $devices[0]->wait_json(sub { $_[0]{type} eq 'message'
                                             && $_[0]{id} eq ($a->{id} // '') });
        ok $m && $m->{kind} eq $body->{kind}
           && $m->{url} eq $body->{url}, "... and delivered to the agent"
           or diag explain $m;
    } else {
        is $a && $a->{type}, 'error', "R5.2 $what: an error";
        is $a && $a->{error}{code}, 'invalid_field', '... invalid_field';
        is redis_cmd('XLEN', "csq:{acme}:log:$cid"), $before,
            '... and nothing is logged';
    }
}

# --- a message in 1-byte fragments (RFC 6455 §5.4) arrives whole; the
# reassembly is linear (bench/frag.sh measures it at the largest size)

{
    my $text = join '', map { chr(97 + $_ % 26) } 1 .. 6000;
    my $msg = JSON::PP->new->canonical->encode(
        { type => 'message', text => $text, ref => 'frag' });
    my $bytes = '';
    my @parts = split //, $msg;
    for my $i (0 .. $#parts) {
        my $op = $i == 0 ? 1 : 0;
        my $fin = $i == $#parts ? 0x80 : 0;
        my $mask = pack 'N', int(rand(2**32));
        $bytes .= pack('CC', $fin | $op, 0x80 | 1) . $mask
                . ($parts[$i] ^ substr($mask, 0, 1));
    }
    ok $tabs[0]->send_raw($bytes), 'a message in ' . @parts . ' fragments';
    my $a = $tabs[0]->wait_json(sub { ($_[0]{ref} // '') eq 'frag' });
    is $a && $a->{type}, 'ack', '... is taken' or diag explain $a;
    my $m = $devices[0]->wait_json(sub { $_[0]{type} eq 'message'
                                         && $_[0]{id} eq ($a->{id} // '') });
    is $m && $m->{text}, $text, '... and delivered whole';
}

# --- typing and read receipts (R5.2)

$tabs[0]->send_json({ type => 'typing', typing => JSON::PP::true() });
my $t = $devices[1]->wait_json(sub { $_[0]{type} eq 'typing' });
ok $t && $t->{from} eq 'customer' && $t->{conversation} eq $cid,
   "the agent sees the customer typing";

$devices[0]->send_json({ type => 'typing', conversation => $cid,
                         typing => JSON::PP::true() });
$t = $tabs[1]->wait_json(sub { $_[0]{type} eq 'typing' });
ok $t && $t->{from} eq 'agent', 'the customer sees the agent typing';

$tabs[1]->send_json({ type => 'read', id => $ids[-1], ref => 'rd1' });
my $r = $tabs[1]->wait_json(sub { ($_[0]{ref} // '') eq 'rd1' });
is $r && $r->{type}, 'ack', 'a read receipt is taken';
$r = $devices[0]->wait_json(sub { $_[0]{type} eq 'read' });
ok $r && $r->{by} eq 'customer' && $r->{id} eq $ids[-1],
   "the agent learns how far the customer read";
is redis_cmd('HGET', "csq:{acme}:c:$cid", 'read_customer'), $ids[-1],
   '... and it is kept';

# typing is not logged (the log holds the 3 kinds and the fragmented one)
is redis_cmd('XLEN', "csq:{acme}:log:$cid"),
   $len + 4, 'typing and read receipts are not in the log';

# --- who may write where

# bob is not the agent of this conversation
my $bobws = ws_open("/api/tenants/acme/agent/ws?token="
                    . login_token('acme', 'bob'));
ok $bobws && $bobws->wait_json(sub { $_[0]{type} eq 'hello' }),
   'bob opens a socket';
$bobws->send_json({ type => 'message', conversation => $cid, text => 'x',
                    ref => 'b1' });
my $e = $bobws->wait_json(sub { ($_[0]{ref} // '') eq 'b1' });
is $e && $e->{error}{code}, 'forbidden',
   "an agent cannot write in another agent's conversation";

# the customer's socket is about its one conversation
my $c2 = arrive_ok('acme', customer => 'u2');
$tabs[0]->send_json({ type => 'message', conversation => $c2->{id},
                      text => 'x', ref => 'x1' });
$e = $tabs[0]->wait_json(sub { ($_[0]{ref} // '') eq 'x1' });
is $e && $e->{error}{code}, 'forbidden',
   "a customer cannot write in another conversation";

# bad frames get an error and change nothing
$tabs[0]->send_frame(1, 'not json');
$e = $tabs[0]->wait_json(sub { $_[0]{type} eq 'error' });
is $e && $e->{error}{code}, 'invalid_json', 'a frame that is not JSON';
$tabs[0]->send_json({ type => 'dance', ref => 'd1' });
$e = $tabs[0]->wait_json(sub { ($_[0]{ref} // '') eq 'd1' });
is $e && $e->{error}{code}, 'invalid_field', 'an unknown type';

# ?token= is for socket handshakes only
my ($st) = api(GET => "tenants/acme/agents/alice?token=$alice");
is $st, 401, 'a token in the query is not taken by the API';
my $nok = ws_open("/api/tenants/acme/agent/ws");
ok !$nok && ws_error() =~ /^401 /, 'a socket without a token: 401';
$nok = ws_open("/api/tenants/acme/agent/ws?token=$c->{customer_token}");
ok !$nok && ws_error() =~ /^403 /, 'a customer token on the agent socket: 403';
$nok = ws_open("/api/tenants/acme/chat/ws?token=$alice&conversation=$cid");
ok !$nok && ws_error() =~ /^403 /, 'an agent token on the customer socket: 403';

# Origin: any page until the tenant lists its own
api(PUT => 'tenants/acme', { origins => ['https://shop.example'] },
    token => platform_token());
$nok = ws_open($cpath, origin => 'https://evil.example');
ok !$nok && ws_error() =~ /^403 .*origin_not_allowed/,
   'R1.3 a page of another origin: 403';
my $okws = ws_open($cpath, origin => 'https://shop.example');
ok $okws, 'a page of a listed origin opens';
$okws->close if $okws;
my ($bs, $bj) = api(PUT => 'tenants/acme', { origins => ['shop.example'] },
                    token => platform_token());
is $bs, 400, 'origins must be http(s) origins';
api(PUT => 'tenants/acme', { origins => [] }, token => platform_token());

# a customer token for another conversation cannot open this one
my $other = ws_open("/api/tenants/acme/chat/ws?token=$c2->{customer_token}"
                    . "&conversation=$cid");
ok !$other, "a customer cannot open another's conversation";
like ws_error(), qr/^403 .*forbidden/, '... 403';

# R9.2 a customer token is for the conversation it came with: another
# arrival claiming the same customer id gets no key to this one
my $same = arrive_ok('acme', customer => 'u1');
$other = ws_open("/api/tenants/acme/chat/ws?token=$same->{customer_token}"
                 . "&conversation=$cid");
ok !$other && ws_error() =~ /^403 /,
   "a second arrival as the same customer cannot open the first one";
my ($ls) = api(POST => "tenants/acme/conversations/$cid/leave", undef,
               token => $same->{customer_token});
is $ls, 403, '... nor leave it';

# after the end, the conversation takes no more messages
end_conv_ok('acme', $cid);
my $end = $tabs[0]->wait_json(sub { $_[0]{type} eq 'message'
                                    && ($_[0]{event} // '') eq 'ended' });
ok $end, 'the customer hears of the end (a system event in the log)';
$tabs[1]->send_json({ type => 'message', text => 'still there?',
                      ref => 'z1' });
$e = $tabs[1]->wait_json(sub { ($_[0]{ref} // '') eq 'z1' });
is $e && $e->{error}{code}, 'conflict', 'an ended conversation is closed';

# frames begin with their type, then the ref, as README shows them (a
# client may read the type before it parses the rest)
$tabs[1]->send_json({ type => 'message', text => 'once more', ref => 'z2' });
my $raw = '';
while (my ($op, $text) = $tabs[1]->next_frame(2)) {
    next unless $op == 1 && $text =~ /"z2"/;
    $raw = $text;
    last;
}
like $raw, qr/^\{"type":"error","ref":"z2","error":\{/,
    'an error frame: type, ref, then the error';
$devices[0]->send_json({ type => 'typing', conversation => $cid,
                         typing => JSON::PP::true(), ref => 'z3' });
$raw = '';
while (my ($op, $text) = $devices[0]->next_frame(2)) {
    next unless $op == 1 && $text =~ /"z3"/;
    $raw = $text;
    last;
}
is $raw, '{"type":"ack","ref":"z3"}', 'an ack without fields: type and ref';

$_->close for @tabs, @devices, $bobws;

my $log = nginx_error_log();
unlike $log, qr/\[(alert|crit|emerg)\]/, 'no alert in the error log';
is valgrind_report(), '', 'valgrind: clean' if $t::CsqUtil::UseValgrind;

done_testing();
