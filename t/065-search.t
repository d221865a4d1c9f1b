# issue #12 §3 (R6.4, R9.1): global search over message texts and
# customers.  Chinese is found by character bigrams ("退款" inside
# "我想申请退款可以吗"), other text by words, mixed text by both; the send
# path only marks its conversation and the tick indexes it (searchable
# within 2 s); filters; paging by cursor; a query reads a bounded number
# of postings and texts; results respect who may read what.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use JSON::PP;
use URI::Escape qw(uri_escape);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_trusted 127.0.0.1;\n");
my $P = setup_tenant('acme', tenant => { return_hours => 0 },
                     queues => { sales => {} },
                     agents => {
                         alice => { queues => ['sales'], capacity => 100 },
                         bob => { queues => ['sales'], capacity => 100,
                                  status => 'offline' },
                         sue => { queues => ['sales'], role => 'supervisor',
                                  status => 'offline' } },
                     fallback => 'sales');
setup_tenant('globex', queues => { q => {} },
             agents => { gil => { queues => ['q'] } }, fallback => 'q');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob sue);
my $K = 'csq:{acme}:';
my ($lib) = map { my %l = @$_; $l{library_name} }
            @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };

sub search {
    my ($who, $q, $more) = @_;
    my ($s, $j, $raw) = api(GET => 'tenants/acme/search?q='
                                   . uri_escape($q) . ($more // ''),
                            undef, token => $T{$who} // $who);
    die "search $q as $who: $s " . ($raw // '') . "\n" unless $s == 200;
    return $j;
}
sub texts { return [map { $_->{text} } @{ $_[0]{messages} }] }

# every marked conversation indexed now (the tick's step, by hand)
sub index_all {
    for (1 .. 1000) {
        my $r = redis_cmd('FCALL', "${lib}_tick", 1, "${K}tenant",
                          int(time * 1000), '', 'platform', '', '', '');
        last if !$r->[3] && !redis_cmd('SCARD', "${K}sx:dirty");
    }
}

# --- a message is searchable within 2 s of its ack (the real tick)

my $c1 = arrive_ok('acme', customer => 'cu1');
my $ws = customer_socket('acme', $c1) or die "socket\n";
my $t0 = time;
$ws->say('r1', text => '我想申请退款可以吗') or die "say\n";
my $found;
while (time - $t0 < 5) {
    $found = search(alice => '退款')->{messages}[0];
    last if $found;
    sleep 0.05;
}
my $took = time - $t0;
ok $found, 'R6.4 "退款" finds "我想申请退款可以吗"';
cmp_ok $took, '<', 2, sprintf('... searchable %.2f s after it was sent', $took);
is $found->{conversation}, $c1->{id}, '... in its conversation';
my $j = search(alice => '退款');
is $j->{conversations}[0]{id}, $c1->{id}, '... summed up once';

$ws->say('r2', text => 'I want a Refund, please. Order A-1042') or die;
$ws->say('r3', text => '订单123号还没有发货') or die;
$ws->say('r4', text => 'refunds are slow') or die;
$ws->say('r5', text => '好') or die;
$ws->say('r6', text => '我申请了，请退回，退款吧') or die;
index_all();
is_deeply texts(search(alice => 'refund')),
          ['I want a Refund, please. Order A-1042'],
          'R6.4 "refund" finds an English text, in any case, as a word';
is_deeply texts(search(alice => '申请退款')), ['我想申请退款可以吗'],
          '... a longer Chinese query';
is_deeply texts(search(alice => '退款申请')), [],
          '... whose characters must stand as written';
is_deeply texts(search(alice => '申请退款')), ['我想申请退款可以吗'],
          '... even when each pair of them is somewhere in another text';
is_deeply texts(search(alice => '123 发货')), ['订单123号还没有发货'],
          '... mixed text';
is_deeply texts(search(alice => 'order 1042')),
          ['I want a Refund, please. Order A-1042'], '... two words';
is_deeply texts(search(alice => '好')), ['好'], '... a lone character';
my ($s, $e) = api(GET => 'tenants/acme/search?q=' . uri_escape('!?'),
                  undef, token => $T{alice});
is $s, 400, 'a query with no word: 400';

# a conversation whose first message is an image, then texts: each text is
# searchable (the search mark comes with texts), also after an indexing
my $ci = arrive_ok('acme', customer => 'cu-img');
my $wi = customer_socket('acme', $ci) or die "socket\n";
$wi->send_json({ type => 'message', kind => 'image', ref => 'i1',
                 url => 'https://img.example/a.png' });
$wi->wait_json(sub { ($_[0]{ref} // '') eq 'i1' }) or die "image\n";
$wi->say('i2', text => 'zebra stripes') or die;
index_all();
is_deeply texts(search(alice => 'zebra')), ['zebra stripes'],
          'R6.4 a text after an image is searchable';
$wi->say('i3', text => 'yak wool') or die;
$wi->say('i4', text => 'yak milk') or die;
is redis_cmd('SISMEMBER', "${K}sx:dirty", $ci->{id}), 1,
   '... a new text marks its conversation again';
index_all();
is_deeply texts(search(alice => 'yak')), ['yak milk', 'yak wool'],
          '... and is searchable after it';

# --- customers

api(PUT => 'tenants/acme/customers/k1',
    { name => '王小明', phone => '+86 138 0013 8000',
      email => 'wang@example.com', company => 'Acme Trading' }, token => $P);
api(PUT => 'tenants/acme/customers/k2', { name => 'Li Lei', owner => 'bob',
                                         library => JSON::PP::true },
    token => $P);
is_deeply [map { $_->{id} } @{ search(alice => '小明')->{customers} }], ['k1'],
          'R6.4 customers by name';
is_deeply [map { $_->{id} } @{ search(alice => '王')->{customers} }], ['k1'],
          '... by a surname alone';
is_deeply [map { $_->{id} } @{ search(alice => '13800138000')->{customers} }],
          ['k1'], '... by phone, without its country code';
is_deeply [map { $_->{id} } @{ search(alice => 'example')->{customers} }],
          ['k1'], '... by email';
is_deeply [map { $_->{id} } @{ search(alice => 'trading')->{customers} }],
          ['k1'], '... by company';
api(PUT => 'tenants/acme/customers/k1', { name => '王大明' }, token => $P);
is_deeply search(alice => '小明')->{customers}, [],
          '... a changed name is no longer found by the old one';
is_deeply [map { $_->{id} } @{ search(alice => '大明')->{customers} }], ['k1'],
          '... but by the new';
is_deeply search(alice => 'lei')->{customers}, [],
          'R9.1 another agent\'s customer is not found by an agent';
is_deeply [map { $_->{id} } @{ search(sue => 'lei')->{customers} }], ['k2'],
          '... by a supervisor it is';

# --- who may read what, filters

my $c2 = arrive_ok('acme', customer => 'cu2', channel => 'wechat');
set_status('acme', 'bob', status => 'online');
set_status('acme', 'alice', status => 'offline');
my $c3 = arrive_ok('acme', customer => 'cu3');
is agent_of($c3), 'bob', 'a conversation of bob\'s';
my $w3 = customer_socket('acme', $c3) or die;
$w3->say('b1', text => 'refund for bob') or die;
my $w2 = customer_socket('acme', $c2) or die;
$w2->say('a1', text => 'refund on wechat') or die;
index_all();
is_deeply texts(search(alice => 'refund')),
          ['refund on wechat', 'I want a Refund, please. Order A-1042'],
          'R9.1 an agent finds what it may read, newest first';
is_deeply texts(search(sue => 'refund')),
          ['refund on wechat', 'refund for bob',
           'I want a Refund, please. Order A-1042'],
          '... a supervisor all';
is_deeply texts(search(sue => 'refund', '&agent=bob')), ['refund for bob'],
          'R6.4 filtered by agent';
is_deeply texts(search(sue => 'refund', '&channel=wechat')),
          ['refund on wechat'], '... by channel';
my $now = int(time * 1000);
is_deeply texts(search(sue => 'refund', "&from=$now")), [], '... by time';
is_deeply search(sue => 'refund', '&in=messages')->{customers}, undef,
          '... of one kind';
($s) = api(GET => 'tenants/acme/search?q=refund', undef,
           token => login_token('globex', 'gil'));
is $s, 403, 'R9.1 an agent of another tenant: 403';

# --- a busy tenant: the tick runs more steps while its step is full

my $busy_ms = int(time * 1000);
redis_cmd('HSET', "${K}c:c8888", 'id', 'c8888', 'customer', 'cu8',
          'state', 'ended', 'created', $busy_ms);
for my $i (1 .. 2500) {
    redis_cmd('XADD', "${K}log:c8888", "$busy_ms-$i", 'm',
              encode_json({ kind => 'text', from => { role => 'customer' },
                            text => "busy tenant $i" }));
}
my $t1 = time;
redis_cmd('SADD', "${K}sx:dirty", 'c8888');
sleep 0.1 while redis_cmd('SCARD', "${K}sx:dirty") && time - $t1 < 15;
my $busy = time - $t1;
is redis_cmd('STRLEN', "${K}sx:m:t:busy"), 4 * 2500,
   'R6.4 2,500 messages at once are indexed by the tick';
cmp_ok $busy, '<', 3, sprintf('... within %.1f s (300 a step, more steps '
                              . 'while a step is full)', $busy);

# --- paging and bounds: 3,000 messages, 40 of them with a rarer word

my $cid = $c1->{id};
my $ms = int(time * 1000);
for my $i (1 .. 3000) {
    redis_cmd('XADD', "${K}log:$cid", "$ms-$i", 'm',
              encode_json({ kind => 'text', from => { role => 'customer' },
                            text => ($i % 75 ? "common words $i"
                                             : "common rare words $i")
                                    . ($i % 300 ? ($i % 2 ? ' alpha' : ' beta')
                                                : ' alpha beta') }));
}
redis_cmd('SADD', "${K}sx:dirty", $cid);
index_all();
my (@got, $next);
do {
    $j = search(alice => 'rare common', '&in=messages&limit=7'
                                        . ($next ? "&before=$next" : ''));
    push @got, @{ texts($j) };
    $next = $j->{next_messages};
} while ($next && @got < 100);
is scalar @got, 40, 'R6.4 pages of 7: all 40 matches';
my %once = map { $_ => 1 } @got;
is scalar keys %once, 40, '... each once';
is $got[0], 'common rare words 3000 alpha beta', '... newest first';

redis_cmd('CONFIG', 'RESETSTAT');
$j = search(alice => 'beta alpha', '&in=messages&limit=50');
my ($xr0) = redis_cmd('INFO', 'commandstats') =~ /cmdstat_xrange:calls=(\d+)/;
is scalar @{ $j->{messages} }, 10,
   'R6.4 two common words found together in 10 texts';
cmp_ok $xr0, '<=', 10, "R9.6 ... reading only those 10 texts ($xr0)";
redis_cmd('CONFIG', 'RESETSTAT');
$j = search(alice => 'rare beta', '&in=messages&limit=50');
($xr0) = redis_cmd('INFO', 'commandstats') =~ /cmdstat_xrange:calls=(\d+)/;
is scalar @{ $j->{messages} }, 20, 'a rare word with a common one: 20 texts';
cmp_ok $xr0, '<=', 20, "R9.6 ... reading only those 20 texts ($xr0)";

redis_cmd('CONFIG', 'RESETSTAT');
$j = search(alice => 'common', '&in=messages&limit=50');
my $stats = redis_cmd('INFO', 'commandstats');
my ($xr) = $stats =~ /cmdstat_xrange:calls=(\d+)/;
my ($gr) = $stats =~ /cmdstat_getrange:calls=(\d+)/;
is scalar @{ $j->{messages} }, 50, 'a common word: a page of 50';
cmp_ok $xr, '<=', 50, "R9.6 ... reading 50 texts ($xr)";
cmp_ok $gr, '<=', 60, "R9.6 ... and a few reads of postings ($gr)";
ok $j->{next_messages}, '... and a cursor for more';

# a page that stops at its 300 texts checked goes on from the one it did
# not check (301 candidates, the oldest the only match)
my $raw_json = JSON::PP->new;     # the texts are UTF-8 bytes already
redis_cmd('HSET', "${K}c:c9999", 'id', 'c9999', 'customer', 'cu9',
          'state', 'ended', 'created', $ms);
my $ms2 = $ms + 10;
redis_cmd('XADD', "${K}log:c9999", "$ms2-1", 'm',
          $raw_json->encode({ kind => 'text', from => { role => 'customer' },
                        text => "申请退款 the one" }));
for my $i (2 .. 301) {
    redis_cmd('XADD', "${K}log:c9999", "$ms2-$i", 'm',
              $raw_json->encode({ kind => 'text', from => { role => 'customer' },
                            text => "申请了请退回退款 $i" }));
}
redis_cmd('SADD', "${K}sx:dirty", 'c9999');
index_all();
my @hits;
$next = undef;
my $pages = 0;
do {
    $j = search(sue => '申请退款', '&in=messages'
                                  . ($next ? "&before=$next" : ''));
    push @hits, @{ texts($j) };
    $next = $j->{next_messages};
} while ($next && ++$pages < 10);
ok scalar(grep { $_ eq '申请退款 the one' } @hits),
   'R6.4 a page stopped by its checks goes on from the text it did not check';
cmp_ok $pages, '>=', 1, "... over more than one page ($pages)";

done_testing();
