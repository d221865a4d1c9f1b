# issue #11 §2 (R9.6): what one client can make the help desk store or do
# is bounded.  A socket sends at most csq_message_rate frames a second
# (message, typing, read; a burst of csq_message_burst), else an error
# frame rate_limited, and a socket that keeps at it is closed with 1008;
# a customer on many sockets shares one such budget in its conversation;
# a conversation's log takes at most csq_conversation_max_messages
# messages and csq_conversation_max_bytes bytes (409 conversation_full);
# csq_trusted clients (an operator's systems, the benchmarks) are exempt.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info',
    http_config => "    csq_message_rate 2;\n    csq_message_burst 5;\n",
    conf => <<'_EOC_');
location /caps/ {
    csq_api;
    csq_message_rate 1000;
    csq_message_burst 1000;
    csq_conversation_max_messages 10;
    csq_conversation_max_bytes 2k;
}
location /trusted/ {
    csq_api;
    csq_trusted 127.0.0.1;
    csq_message_burst 1;
    csq_conversation_max_messages 3;
}
_EOC_
setup_tenant('acme', queues => { sales => {} },
             agents => { alice => { queues => ['sales'], capacity => 50 } },
             fallback => 'sales');

sub socket_of {
    my ($c, $prefix) = @_;
    my $ws = ws_open("/" . ($prefix // 'api') . "/tenants/acme/chat/ws"
                     . "?token=$c->{customer_token}&conversation=$c->{id}");
    $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }) or return undef;
    return $ws;
}

# sends n messages at once, then collects the answers: (acks, errors by
# code)
my $seq = 0;
sub burst {
    my ($ws, $n, $text) = @_;
    my @refs = map { 'b' . ++$seq } 1 .. $n;
    $ws->send_json({ type => 'message', text => $text // "m $_", ref => $_ })
        for @refs;
    my ($acks, %err) = (0);
    for my $ref (@refs) {
        my $a = $ws->wait_json(sub { ($_[0]{ref} // '') eq $ref
                                     && $_[0]{type} =~ /^(ack|error)$/ }, 5);
        last unless $a;
        if ($a->{type} eq 'ack') { $acks++ } else { $err{$a->{error}{code}}++ }
    }
    return ($acks, \%err);
}

# --- a socket's rate

my $c1 = arrive_ok('acme', customer => 'u1');
my $ws = socket_of($c1);
ok $ws, 'a customer socket';
my ($acks, $err) = burst($ws, 8);
is $acks, 5, 'R9.6 a burst of 5 is taken';
is $err->{rate_limited}, 3, '... the 3 over it get rate_limited';
sleep 1.1;
($acks, $err) = burst($ws, 2);
is $acks, 2, '... and 2 a second later (2 a second)';

# one that keeps at it is closed with 1008
my $mark = nginx_error_log_size();
$ws->send_json({ type => 'typing', typing => JSON::PP::true() }) for 1 .. 40;
my $closed = 0;
while (my $f = $ws->next_json(3)) { }
is $ws->close_code, 1008, 'R9.6 a socket that keeps sending over its rate: 1008';
like nginx_error_log($mark), qr/keeps sending over its rate/,
    '... logged at info';

# --- a customer's rate across its sockets (in the conversation)

my $c2 = arrive_ok('acme', customer => 'u2');
my @two = (socket_of($c2), socket_of($c2));
ok $two[0] && $two[1], 'a customer with two tabs';
my ($a1, $e1) = burst($two[0], 4);
my ($a2, $e2) = burst($two[1], 4);
cmp_ok $a1 + $a2, '<=', 6, 'R9.6 two tabs share one budget: ' . ($a1 + $a2)
                           . ' of 8 taken';
cmp_ok(($e1->{rate_limited} // 0) + ($e2->{rate_limited} // 0), '>=', 2,
       '... the rest rate_limited by the conversation');
$_->close for @two;

# --- a conversation's log is bounded

my $c3 = arrive_ok('acme', customer => 'u3');
my $caps = socket_of($c3, 'caps');
($acks, $err) = burst($caps, 12);
is $acks, 10, 'R9.6 a conversation takes csq_conversation_max_messages (10)';
is $err->{conversation_full}, 2, '... then 409 conversation_full';

my $c4 = arrive_ok('acme', customer => 'u4');
my $bytes = socket_of($c4, 'caps');
($acks, $err) = burst($bytes, 6, 'y' x 500);
is $acks, 4, 'R9.6 ... and csq_conversation_max_bytes (2k: 4 of 500)';
is $err->{conversation_full}, 2, '... then conversation_full';
$_->close for $caps, $bytes;

# --- trusted clients are exempt

my $c5 = arrive_ok('acme', customer => 'u5');
my $tr = socket_of($c5, 'trusted');
($acks, $err) = burst($tr, 12);
is $acks, 12, 'R9.6 a trusted client: neither rate nor caps';
$tr->close;

done_testing();
