# issue #12 §2 (R5.3-R5.5, R6.5, R9.1): records.  Every conversation of a
# customer, newest first, by permission (an agent: those it served and
# those of the customers it owns; supervisors all), a deleted one saying
# so; transcripts paged both ways; service records (conversations and
# notes) and the trajectory (pages viewed, reported by the pages, bounded
# and rate-limited); the supervisor's review of all conversations with
# its filters, paging and CSV; retention takes a conversation out of the
# review's indexes.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use JSON::PP;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_tick 0;\n    csq_trusted 127.0.0.1;\n");
my $P = setup_tenant('acme', tenant => { return_hours => 0 },
                     queues => { sales => {}, vip => {} },
                     agents => {
                         alice => { queues => ['sales'], capacity => 50 },
                         bob => { queues => ['vip'], capacity => 50 },
                         sue => { queues => ['sales'], role => 'supervisor',
                                  status => 'offline' } },
                     fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob sue);
my $K = 'csq:{acme}:';

# as an agent of acme (its name) or with a token
sub token_of { return $T{ $_[0] } // $_[0] }
sub call { return tenant_call('acme', token_of(shift), @_) }
sub ok_call { return tenant_call_ok('acme', token_of(shift), @_) }

sub ids { return [map { $_->{id} } @{ $_[0] }] }

# three conversations of one customer: alice's, bob's, alice's
my $c1 = arrive_ok('acme', customer => 'cu', queue => 'sales');
end_conv_ok('acme', $c1->{id});
my $c2 = arrive_ok('acme', customer => 'cu', queue => 'vip');
end_conv_ok('acme', $c2->{id});
my $c3 = arrive_ok('acme', customer => 'cu', queue => 'sales',
                   channel => 'wechat');
is agent_of($c1) . agent_of($c2) . agent_of($c3), 'alicebobalice',
   'three conversations, served by alice, bob, alice';

# --- message records (R5.3)

my $j = ok_call(sue => GET => 'customers/cu/conversations');
is_deeply ids($j->{items}), [$c3->{id}, $c2->{id}, $c1->{id}],
          'R5.3 a supervisor sees every conversation, newest first';
is $j->{items}[0]{channel}, 'wechat', '... with its channel';
is_deeply $j->{items}[1]{agents}, ['bob'], '... and who served it';
is $j->{items}[1]{state}, 'ended', '... and its state';
is_deeply ids(ok_call(alice => GET => 'customers/cu/conversations')->{items}),
          [$c3->{id}, $c1->{id}], 'R9.1 an agent, those it served';
is_deeply ids(ok_call(bob => GET => 'customers/cu/conversations')->{items}),
          [$c2->{id}], '... each its own';
ok_call(sue => PUT => 'customers/cu', { owner => 'bob' });
is scalar @{ ok_call(bob => GET => 'customers/cu/conversations')->{items} }, 3,
   'R9.1 ... and all of the customers it owns';
ok_call(sue => PUT => 'customers/cu', { owner => undef });

my @pages;
my $next;
do {
    $j = ok_call(sue => GET => 'customers/cu/conversations?limit=1'
                               . (defined $next ? "&before=$next" : ''));
    push @pages, @{ ids($j->{items}) };
    $next = $j->{next};
} while (defined $next && @pages < 10);
is_deeply \@pages, [$c3->{id}, $c2->{id}, $c1->{id}], '... in pages';

redis_cmd('DEL', "${K}c:$c1->{id}");
$j = ok_call(sue => GET => 'customers/cu/conversations');
ok $j->{items}[2]{deleted}, 'R5.3 a deleted conversation says so';
is $j->{items}[2]{id}, $c1->{id}, '... under its id';

# an agent pages through a customer's conversations even when the newest
# many are others' (each page reads a bounded number, gives a cursor)
my $hist = 'csq:{acme}:cust:hist:convs';
api(PUT => 'tenants/acme/customers/hist', { name => 'H' }, token => $P);
for my $i (1 .. 45) {
    my $id = "h$i";
    redis_cmd('HSET', "${K}c:$id", 'id', $id, 'customer', 'hist',
              'state', 'ended', 'created', 1000 + $i,
              'in', $i <= 3 ? 'a:alice' : 'a:bob');
    redis_cmd('ZADD', $hist, 1000 + $i, $id);
}
my (@hmine, $nx, $calls);
do {
    $j = ok_call(alice => GET => 'customers/hist/conversations?limit=10'
                                 . (defined $nx ? "&before=$nx" : ''));
    push @hmine, @{ ids($j->{items}) };
    $nx = $j->{next};
} while (defined $nx && ++$calls < 20);
is_deeply \@hmine, [qw(h3 h2 h1)],
          'R5.3 an agent reaches its own past the newest 42 of others\'';

# --- transcripts, paged both ways

my $cs = customer_socket('acme', $c3) or die "customer socket\n";
my @mine;
for my $i (1 .. 5) {
    my $ack = $cs->say("r$i", text => "hello $i") or die "say $i\n";
    push @mine, $ack->{id};
}
# and many more, written as the relay writes them
my $now = int(time * 1000);
for my $i (6 .. 130) {
    redis_cmd('XADD', "${K}log:$c3->{id}", '*', 'm',
              encode_json({ kind => 'text', text => "hello $i",
                            from => 'customer', at => $now }));
}
$j = ok_call(alice => GET => "conversations/$c3->{id}/messages");
is scalar @{ $j->{messages} }, 50, 'a transcript: the newest 50';
is $j->{messages}[-1]{text}, 'hello 130', '... oldest first, to the newest';
ok $j->{more_before} && !$j->{more_after}, '... more before it';
my $first = $j->{messages}[0]{id};
$j = ok_call(alice => GET => "conversations/$c3->{id}/messages?before=$first"
                             . '&limit=60');
is $j->{messages}[-1]{text}, 'hello 80', 'the page before, to the one before';
ok $j->{more_before} && $j->{more_after}, '... more both ways';
$j = ok_call(alice => GET => "conversations/$c3->{id}/messages?after=$mine[1]"
                             . '&limit=3');
is_deeply [map { $_->{text} } @{ $j->{messages} }],
          ['hello 3', 'hello 4', 'hello 5'], 'the page after an id';
is $j->{messages}[0]{id}, $mine[2], '... with the ids the socket acked';
ok $j->{more_before} && $j->{more_after}, '... more both ways';
my @all;
my $after;
while (1) {
    $j = ok_call(sue => GET => "conversations/$c3->{id}/messages?limit=200"
                               . ($after ? "&after=$after" : '&after=0-0'));
    push @all, @{ $j->{messages} };
    last unless $j->{more_after};
    $after = $all[-1]{id};
}
my %seen = map { $_->{id} => 1 } @all;
is scalar keys %seen, scalar @all, 'every message once, paging forward';
ok scalar(grep { ($_->{text} // '') =~ /^hello \d+$/ } @all) == 130,
   '... all 130 of them';
my ($s) = call(bob => GET => "conversations/$c3->{id}/messages");
is $s, 403, 'R9.1 another agent\'s conversation: 403';
($s) = call($c3->{customer_token}, GET => "conversations/$c3->{id}/messages");
is $s, 403, 'R9.1 a customer\'s token: 403';
($s) = call(sue => GET => "conversations/$c1->{id}/messages");
is $s, 404, 'a deleted conversation: 404';
($s) = call(sue => GET => "conversations/$c3->{id}/messages?before=x");
is $s, 400, 'a bad id: 400';

# --- service records (R6.5) and the trajectory (R5.4)

ok_call(alice => POST => 'customers/cu/notes', { text => 'wants a refund' },
        201);
$j = ok_call(alice => GET => 'customers/cu/records');
is_deeply [map { $_->{kind} } @{ $j->{items} }], ['note', 'conversation'],
          'R6.5 service records: notes and conversations, newest first';
ok !grep({ $_->{deleted} } @{ $j->{items} }),
   'R9.1 ... a deleted one is not shown to an agent that may not read it';
is $j->{items}[0]{text}, 'wants a refund', '... the note';

my ($es, $ej) = api(POST => 'tenants/acme/entry', {});
my $vt = $ej->{visitor}{token};
my $vid = $ej->{visitor}{id};
for my $page (qw(/ /shoes /shoes/red)) {
    ($s) = api(POST => 'tenants/acme/track',
               { url => "https://shop.example$page", title => "Page $page",
                 referrer => 'https://search.example/?q=x' }, token => $vt);
    is $s, 200, "R5.4 the page reports a view of $page";
    sleep 0.002;
}
my $cv = arrive_ok('acme', customer => $vid);
$j = ok_call(alice => GET => "customers/$vid/trajectory");
is_deeply [map { $_->{kind} } @{ $j->{items} }],
          ['conversation', 'page', 'page', 'page'],
          'R5.4 the trajectory: pages viewed, then the conversation';
is $j->{items}[1]{url}, 'https://shop.example/shoes/red',
   '... the page, its title and referrer';
is $j->{items}[1]{title}, 'Page /shoes/red', '... titled';
($s) = api(POST => 'tenants/acme/track', { url => 'javascript:alert(1)' },
           token => $vt);
is $s, 400, 'only http(s) pages';
($s) = api(POST => 'tenants/acme/track', { url => 'https://x.example/' });
is $s, 401, 'a view comes with the visitor\'s token';
my @st = map { (api(POST => 'tenants/acme/track',
                     { url => "https://shop.example/$_" }, token => $vt))[0] }
         1 .. 30;
is scalar(grep { $_ == 429 } @st), 3,
   'R9.6 at most 30 views a minute a visitor (3 already this minute)';
redis_cmd('DEL', "${K}rl:track:$vid");
redis_cmd('ZADD', "${K}cust:$vid:trail",
          map { (1000 + $_, "{\"n\":-$_,\"url\":\"https://o.example/\"}") }
          1 .. 600);
api(POST => 'tenants/acme/track', { url => 'https://shop.example/last' },
    token => $vt);
is redis_cmd('ZCARD', "${K}cust:$vid:trail"), 500,
   'R9.6 a trajectory keeps the newest 500 views';

# --- the supervisor's review (R5.5)

($s) = call(alice => GET => 'conversations');
is $s, 403, 'R9.1 the review is for supervisors';
$j = ok_call(sue => GET => 'conversations');
is_deeply ids($j->{conversations}), [$cv->{id}, $c3->{id}, $c2->{id}],
          'R5.5 every conversation, newest first (the deleted one is not)';
is_deeply ids(ok_call(sue => GET => 'conversations?agent=bob')
                  ->{conversations}), [$c2->{id}], '... by agent';
is_deeply ids(ok_call(sue => GET => 'conversations?queue=vip')
                  ->{conversations}), [$c2->{id}], '... by queue';
is_deeply ids(ok_call(sue => GET => 'conversations?channel=wechat')
                  ->{conversations}), [$c3->{id}], '... by channel';
is_deeply ids(ok_call(sue => GET => 'conversations?state=ended')
                  ->{conversations}), [$c2->{id}], '... by state';
is_deeply ids(ok_call(sue => GET => 'conversations?customer=cu')
                  ->{conversations}), [$c3->{id}, $c2->{id}], '... by customer';
my $t2 = redis_cmd('ZSCORE', "${K}convs", $c2->{id});
my $t3 = redis_cmd('ZSCORE', "${K}convs", $c3->{id});
is_deeply ids(ok_call(sue => GET => "conversations?from=$t2&to=$t3")
                  ->{conversations}), [$c2->{id}], '... by time';
($s) = call(sue => GET => 'conversations?state=gone');
is $s, 400, 'an unknown state: 400';

# paging over conversations of one millisecond
my @same = map { arrive_ok('acme', customer => "s$_", queue => 'vip')->{id} }
           1 .. 7;
redis_cmd('ZADD', "${K}convs", 'XX', 1_800_000_000_000, $_) for @same;
my @got;
$next = undef;
do {
    $j = ok_call(sue => GET => 'conversations?limit=3'
                               . ($next ? "&before=$next" : ''));
    push @got, @{ ids($j->{conversations}) };
    $next = $j->{next};
} while ($next && @got < 30);
is scalar(@got), 10, 'R5.5 pages of 3: every conversation';
my %once = map { $_ => 1 } @got;
is scalar keys %once, 10, '... each once, ties of a millisecond too';

my ($xs, $xh, $csv) = http_request(GET =>
    '/api/tenants/acme/conversations/export?limit=5', undef,
    Authorization => "Bearer $T{sue}");
is $xs, 200, 'R5.5 the review as CSV';
my @lines = split /\r\n/, $csv;
is scalar @lines, 6, '... a page of 5 and the header';
like $lines[0], qr/^id,created,ended,state,end_reason,customer/, '... named';
ok $xh->{'x-csq-next'}, '... and where the next page starts';

# --- retention takes a conversation out of the review's indexes

api(PUT => 'tenants/acme', { retention_minutes => 60 }, token => $P);
my ($lib) = map { my %l = @$_; $l{library_name} }
            @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
redis_cmd('ZADD', "${K}ended", int(time * 1000) - 120 * 60000, $c2->{id});
redis_cmd('FCALL', "${lib}_tick", 1, "${K}tenant", int(time * 1000), '',
          'platform', '', '', '');
is redis_cmd('EXISTS', "${K}c:$c2->{id}"), 0, 'retention deletes a conversation';
ok !defined redis_cmd('ZSCORE', "${K}convs", $c2->{id}),
   '... out of the review';
ok !defined redis_cmd('ZSCORE', "${K}convs:a:bob", $c2->{id}),
   '... and of its agent\'s';
ok !defined redis_cmd('ZSCORE', "${K}convs:q:vip", $c2->{id}),
   '... and of its queue\'s';
ok ok_call(sue => GET => 'customers/cu/conversations')->{items}[1]{deleted},
   '... its customer\'s records say it was deleted';

done_testing();
