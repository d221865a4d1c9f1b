# issue #14 §2 (R6.5, seeds 001 and 003): tickets.  A ticket on a customer
# (title, description, status open/pending/solved, priority, assignee, a
# link to a conversation or a call) with its history: comments and the
# changes of status, priority and assignee, oldest first.  Made from a
# chat (the conversation gives the customer) or a call; listed per
# assignee, status and customer, the last updated first, a page at a time;
# seen by who may see its customer; in the customer's records and
# trajectory; the assignee's socket hears an assignment and another's
# comment.  Bounds: the tenant's tickets_max, text sizes, 500 comments and
# 500 changes a ticket; solved tickets go after ticket_retention_minutes.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use JSON::PP;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info', http_config => "    csq_tick 0;\n");
my $P = setup_tenant('acme', queues => { sales => {} },
                     agents => {
                         alice => { queues => ['sales'], capacity => 50 },
                         bob => { queues => ['sales'], status => 'offline' },
                         sue => { role => 'supervisor',
                                  status => 'offline' } },
                     fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob sue);
my $K = 'csq:{acme}:';

sub token_of { return $T{ $_[0] } // $_[0] }
sub call { return tenant_call('acme', token_of(shift), @_) }
sub ok_call { return tenant_call_ok('acme', token_of(shift), @_) }
sub ids { return [map { $_->{id} } @{ $_[0] }] }
sub err_of { my ($s, $j) = @_; return "$s " . ($j ? $j->{error}{code} : '') }

# --- made from a chat: the conversation gives the customer

my $c = arrive_ok('acme', customer => 'u-chat', name => 'Lin');
is $c->{agent}{id}, 'alice', 'a customer chats with alice';
my $t1 = ok_call(alice => POST => 'tickets',
                 { title => 'Refund order 42', conversation => $c->{id},
                   description => 'The parcel came broken.',
                   priority => 'high', assignee => 'alice' }, 201);
like $t1->{id}, qr/^t\d+$/, 'R6.5 a ticket made from a chat: an id t<n>';
is $t1->{customer}, 'u-chat', '... the conversation\'s customer is its';
is $t1->{customer_name}, 'Lin', '... by name too';
is $t1->{conversation}, $c->{id}, '... linked to the conversation';
is_deeply [@$t1{qw(status priority assignee created_by)}],
          ['open', 'high', 'alice', 'alice'],
          '... open, its priority, assignee and maker';
is $t1->{description}, 'The parcel came broken.', '... its description';
is_deeply $t1->{history}, [], '... no history yet';
ok $t1->{created} && $t1->{updated} == $t1->{created}, '... made and updated';
is $t1->{solved}, undef, '... not solved';

# --- checks

my @bad = (
    [{ customer => 'u-chat' }, 400, 'no title'],
    [{ title => 'x' x 201, customer => 'u-chat' }, 400, 'a title over 200'],
    [{ title => 'x', description => 'd' x 10001, customer => 'u-chat' }, 400,
     'a description over 10,000'],
    [{ title => 'x', customer => 'u-chat', status => 'closed' }, 400,
     'a status not one of open, pending, solved'],
    [{ title => 'x', customer => 'u-chat', priority => 'now' }, 400,
     'a priority not one of low, normal, high, urgent'],
    [{ title => 'x', customer => 'u-chat', assignee => 'zed' }, 400,
     'an assignee that is no agent'],
    [{ title => 'x' }, 400, 'no customer, conversation or call'],
    [{ title => 'x', customer => 'u-nobody' }, 404, 'a customer there is not'],
    [{ title => 'x', conversation => 'c-none' }, 404,
     'a conversation there is not'],
    [{ title => 'x', conversation => $c->{id}, customer => 'u-other' }, 400,
     'a customer not the conversation\'s'],
    [{ title => 'x', call => 'k1' }, 404, 'a call there is not'],
);
for my $b (@bad) {
    my ($s, $j) = call(alice => POST => 'tickets', $b->[0]);
    is $s, $b->[1], "refused: $b->[2] ($s)";
}
my ($s, $j) = call(alice => POST => 'tickets', { title => 'x', customer => 'u-nobody' });
is $j->{error}{code}, 'not_found', '... a clear code';
($s) = call(bob => POST => 'tickets', { title => 'x', conversation => $c->{id} });
is $s, 403, 'R9.1 a conversation the caller may not read: 403';

# --- from a call (the lead's calls: a hash csq:{t}:call:<id>)

customer('acme', 'u-phone', name => 'Wang');
redis_cmd('HSET', "${K}call:k1", 'customer', 'u-phone', 'direction', 'in');
my $t2 = ok_call(bob => POST => 'tickets', { title => 'Call back about delivery',
                                             call => 'k1' }, 201);
is $t2->{call}, 'k1', 'seed 003 a ticket made from a call, linked to it';
is $t2->{customer}, 'u-phone', '... the call\'s customer is its';
is $t2->{assignee}, undef, '... nobody assigned';
is $t2->{priority}, 'normal', '... normal priority';

# --- who sees a ticket: who may see its customer (CUST.visible)

customer('acme', 'u-bob', name => 'Bob\'s', owner => 'bob', library => JSON::PP::true);
($s) = call(alice => POST => 'tickets', { title => 'x', customer => 'u-bob' });
is $s, 403, 'R9.1 an agent makes none on another agent\'s customer';
my $t3 = ok_call(sue => POST => 'tickets', { title => 'VIP complaint',
                                             customer => 'u-bob' }, 201);
($s, $j) = call(alice => GET => "tickets/$t3->{id}");
is $s, 403, '... nor reads one';
is ok_call(bob => GET => "tickets/$t3->{id}")->{title}, 'VIP complaint',
   '... its owner does';
ok !grep({ $_ eq $t3->{id} } @{ ids(ok_call(alice => GET => 'tickets')->{tickets}) }),
   '... and alice\'s list leaves it out';
ok grep({ $_ eq $t3->{id} } @{ ids(ok_call(sue => GET => 'tickets')->{tickets}) }),
   '... a supervisor\'s has it';
($s) = call(alice => GET => 'tickets/t999');
is $s, 404, 'a ticket there is not: 404';

# --- live: the assignee hears an assignment and another's comment

my $ws = ws_open("/api/tenants/acme/agent/ws?token=$T{alice}") or die;
$ws->wait_json(sub { $_[0]{type} eq 'hello' }) or die "hello\n";
sub heard {
    my ($match, $t) = @_;
    return $ws->wait_json(sub { $_[0]{type} eq 'ticket' && $match->($_[0]) }, $t);
}
ok_call(sue => PUT => "tickets/$t3->{id}", { assignee => 'alice' });
my $f = heard(sub { $_[0]{event} eq 'assigned' });
is $f && $f->{ticket}{id}, $t3->{id}, 'R6.5 the new assignee\'s socket hears it';
is $f && $f->{by}, 'sue', '... and who did it';
is ok_call(alice => GET => "tickets/$t3->{id}")->{assignee}, 'alice',
   '... who may read the ticket now (its assignee)';
ok_call(sue => POST => "tickets/$t3->{id}/comments", { text => 'Please call today.' }, 201);
$f = heard(sub { $_[0]{event} eq 'comment' });
is $f && $f->{comment}{text}, 'Please call today.', '... and another\'s comment';
ok_call(alice => POST => "tickets/$t3->{id}/comments", { text => 'Will do.' }, 201);
ok !heard(sub { 1 }, 0.5), '... not its own comment';
my $t4 = ok_call(bob => POST => 'tickets', { title => 'For alice', customer => 'u-phone',
                                             assignee => 'alice' }, 201);
ok heard(sub { $_[0]{event} eq 'assigned' && $_[0]{ticket}{id} eq $t4->{id} }),
   '... a ticket made for it';
$ws->close;

# --- changes: the fields given; status, priority, assignee in the history

$j = ok_call(alice => PUT => "tickets/$t1->{id}", { status => 'pending' });
is $j->{status}, 'pending', 'R6.5 a ticket\'s status changed';
is $j->{title}, 'Refund order 42', '... the other fields as they were';
is_deeply [map { [@$_{qw(kind field from to author)}] } @{ $j->{history} }],
          [['change', 'status', 'open', 'pending', 'alice']],
          '... the change in its history: who, from, to';
$j = ok_call(alice => PUT => "tickets/$t1->{id}",
             { title => 'Refund order 42 (broken)', priority => 'urgent',
               assignee => 'bob', status => 'solved' });
ok $j->{solved}, '... solved: when';
is_deeply [map { "$_->{field}:" . ($_->{from} // '-') . '>' . ($_->{to} // '-') }
           @{ $j->{history} }],
          ['status:open>pending', 'status:pending>solved',
           'priority:high>urgent', 'assignee:alice>bob'],
          '... each change of status, priority and assignee, oldest first';
is $j->{title}, 'Refund order 42 (broken)', '... a new title';
ok $j->{updated} >= $j->{created}, '... updated';
$j = ok_call(bob => PUT => "tickets/$t1->{id}", { status => 'open', assignee => undef });
is $j->{solved}, undef, '... reopened: no longer solved';
is ok_call(sue => GET => "tickets/$t1->{id}")->{solved}, undef, '... kept so';
is redis_cmd('ZSCORE', "${K}tks:solved", $t1->{id}), undef,
   '... and out of the retention\'s index';
is $j->{assignee}, undef, '... nobody\'s';
is $j->{history}[-1]{to}, undef, '... "to" none';
my $n = @{ $j->{history} };
is scalar @{ ok_call(bob => PUT => "tickets/$t1->{id}", { status => 'open' })->{history} },
   $n, '... the same status again: no change kept';
for my $b ([{ title => '' }, 'an empty title'], [{ status => 'done' }, 'a bad status'],
           [{ assignee => 'zed' }, 'an assignee that is no agent'],
           [{ description => 'd' x 10001 }, 'a description over 10,000']) {
    ($s, $j) = call(bob => PUT => "tickets/$t1->{id}", $b->[0]);
    is $s, 400, "a change refused: $b->[1]";
}
($s) = call(bob => PUT => 'tickets/t999', { status => 'open' });
is $s, 404, '... of a ticket there is not: 404';

# --- comments

$j = ok_call(bob => POST => "tickets/$t1->{id}/comments",
             { text => 'Refund sent.' }, 201);
is_deeply [@$j{qw(kind author text)}], ['comment', 'bob', 'Refund sent.'],
          'R6.5 a comment: its author and text';
($s) = call(bob => POST => "tickets/$t1->{id}/comments", { text => '' });
is $s, 400, '... not empty';
($s) = call(bob => POST => "tickets/$t1->{id}/comments", { text => 'x' x 5001 });
is $s, 400, '... at most 5,000 bytes';
$j = ok_call(alice => GET => "tickets/$t1->{id}");
is $j->{history}[-1]{text}, 'Refund sent.', '... last in the history';
is $j->{comments}, 1, '... counted';

# --- lists: by assignee, status, customer; the last updated first; pages

sleep 0.01;
ok_call(sue => POST => "tickets/$t2->{id}/comments", { text => 'bump' }, 201);
my $all = ok_call(sue => GET => 'tickets')->{tickets};
is $all->[0]{id}, $t2->{id}, 'R6.5 the list: the last updated first';
is scalar @$all, 4, '... all four for a supervisor';
is_deeply ids(ok_call(alice => GET => 'tickets?assignee=me')->{tickets}),
          [$t4->{id}, $t3->{id}], '... assignee=me: mine';
is_deeply ids(ok_call(sue => GET => 'tickets?assignee=alice&status=open')->{tickets}),
          [$t4->{id}, $t3->{id}], '... an agent\'s, by status';
is_deeply ids(ok_call(sue => GET => 'tickets?assignee=none')->{tickets}),
          [$t2->{id}, $t1->{id}], '... nobody\'s';
is_deeply ids(ok_call(alice => GET => 'tickets?customer=u-phone')->{tickets}),
          [$t2->{id}, $t4->{id}], '... a customer\'s';
ok_call(sue => PUT => "tickets/$t4->{id}", { status => 'pending' });
is_deeply ids(ok_call(sue => GET => 'tickets?status=pending')->{tickets}),
          [$t4->{id}], '... by status';
my ($seen, $cur, $pages) = ([], '', 0);
while (1) {
    $j = ok_call(sue => GET => 'tickets?limit=1' . ($cur ? "&before=$cur" : ''));
    push @$seen, @{ ids($j->{tickets}) };
    last unless $j->{next};
    $cur = $j->{next};
    last if ++$pages > 10;
}
is_deeply $seen, ids(ok_call(sue => GET => 'tickets')->{tickets}),
          '... a page at a time, each once';
for my $q ('status=closed', 'assignee=a%20b', 'before=soon', 'customer=%20') {
    ($s) = call(sue => GET => "tickets?$q");
    is $s, 400, "a bad filter refused: $q";
}

# --- service records and trajectory (R6.5, R5.4)

my $rec = ok_call(alice => GET => 'customers/u-chat/records')->{items};
my ($tk) = grep { $_->{kind} eq 'ticket' } @$rec;
is $tk && $tk->{id}, $t1->{id}, 'R6.5 the ticket in the customer\'s service records';
is $tk && $tk->{title}, 'Refund order 42 (broken)', '... with its title';
ok grep({ $_->{kind} eq 'conversation' } @$rec), '... next to its conversation';
ok grep({ $_->{kind} eq 'ticket' }
        @{ ok_call(alice => GET => 'customers/u-chat/trajectory')->{items} }),
   '... and in its trajectory';
ok !grep({ $_->{kind} eq 'ticket' }
         @{ ok_call(alice => GET => 'customers/u-chat/conversations')->{items} }),
   '... not among its conversations';
$rec = ok_call(sue => GET => 'customers/u-bob/records')->{items};
is scalar(grep { $_->{kind} eq 'ticket' } @$rec), 1, '... a supervisor\'s view has them';

# --- a merged customer takes the other's tickets

customer('acme', 'u-m1', name => 'One');
customer('acme', 'u-m2', name => 'Two');
my $t5 = ok_call(alice => POST => 'tickets', { title => 'm', customer => 'u-m2' }, 201);
ok_call(alice => POST => 'customers/u-m1/merge', { from => 'u-m2' });
is_deeply ids(ok_call(alice => GET => 'tickets?customer=u-m1')->{tickets}),
          [$t5->{id}], 'R6.1 a merged customer has the other\'s tickets';
is ok_call(alice => GET => "tickets/$t5->{id}")->{customer}, 'u-m1',
   '... each names it';
ok grep({ $_->{kind} eq 'ticket' }
        @{ ok_call(alice => GET => 'customers/u-m1/records')->{items} }),
   '... in its records';

# --- bounds: comments and changes a ticket, tickets a tenant

my $t6 = ok_call(alice => POST => 'tickets', { title => 'busy', customer => 'u-chat' }, 201);
for my $i (1 .. 500) {
    ok_call(alice => POST => "tickets/$t6->{id}/comments", { text => "c$i" }, 201);
}
($s, $j) = call(alice => POST => "tickets/$t6->{id}/comments", { text => 'one more' });
is err_of($s, $j), '409 too_many_comments', 'a ticket holds at most 500 comments';
$j = ok_call(alice => GET => "tickets/$t6->{id}");
is scalar @{ $j->{history} }, 500, '... all there, oldest first';
is $j->{history}[0]{text}, 'c1', '... the first first';
for my $i (1 .. 250) {
    ok_call(alice => PUT => "tickets/$t6->{id}",
            { priority => $i % 2 ? 'high' : 'normal' });
}
$j = ok_call(alice => PUT => "tickets/$t6->{id}", { status => 'pending', priority => 'low' });
is scalar @{ $j->{history} }, 752, '... and changes: 252 of them';
for my $i (1 .. 124) {
    ok_call(alice => PUT => "tickets/$t6->{id}",
            { status => $i % 2 ? 'open' : 'pending', priority => $i % 2 ? 'high' : 'low' });
}
($s, $j) = call(alice => PUT => "tickets/$t6->{id}",
                { status => 'solved', priority => 'urgent' });
is err_of($s, $j), '409 too_many_changes', '... and at most 500 changes';
is ok_call(alice => GET => "tickets/$t6->{id}")->{status}, 'pending',
   '... the refused change changed nothing';
$j = ok_call(alice => PUT => "tickets/$t6->{id}", { title => 'still busy' });
is $j->{title}, 'still busy', '... a title still may';

my $count = redis_cmd('ZCARD', "${K}tks");
api(PUT => 'tenants/acme', { tickets_max => $count }, token => $P);
($s, $j) = call(alice => POST => 'tickets', { title => 'x', customer => 'u-chat' });
is err_of($s, $j), '409 too_many_tickets', "the tenant's tickets_max ($count) reached";
like $j->{error}{message}, qr/$count tickets/, '... said clearly';
(undef, $j) = api(GET => 'tenants/acme', undef, token => $P);
is $j->{tickets_max}, $count, '... a setting of the tenant';
is $j->{ticket_retention_minutes}, 525600, '... as is ticket_retention_minutes (a year)';
($s) = api(PUT => 'tenants/acme', { tickets_max => 0 }, token => $P);
is $s, 400, '... at least one';
api(PUT => 'tenants/acme', { tickets_max => 100000 }, token => $P);

# --- retention: solved tickets go after ticket_retention_minutes

my ($lib) = map { my %l = @$_; $l{library_name} }
            @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
sub tick {
    return redis_cmd('FCALL', "${lib}_tick", 1, "${K}tenant",
                     int(time * 1000), '', 'platform', '', '', '');
}
api(PUT => 'tenants/acme', { ticket_retention_minutes => 10 }, token => $P);
customer('acme', 'u-keep');
my $t7 = ok_call(alice => POST => 'tickets', { title => 'old', customer => 'u-keep',
                                               status => 'solved' }, 201);
my $t8 = ok_call(alice => POST => 'tickets', { title => 'new', customer => 'u-keep' }, 201);
ok_call(alice => POST => "tickets/$t7->{id}/comments", { text => 'done' }, 201);
ok $t7->{solved}, 'a ticket made solved is solved';
tick();
is((call(alice => GET => "tickets/$t7->{id}"))[0], 200,
   'R9.6 a ticket solved now stays');
redis_cmd('ZADD', "${K}tks:solved", int(time * 1000) - 11 * 60000, $t7->{id});
redis_cmd('ZADD', "${K}customers", 1000, 'u-keep');
tick();
($s) = call(alice => GET => "tickets/$t7->{id}");
is $s, 404, 'R9.6 a ticket solved longer than ticket_retention_minutes goes';
is redis_cmd('EXISTS', "${K}tk:$t7->{id}:log"), 0, '... with its history';
is_deeply ids(ok_call(alice => GET => 'tickets?customer=u-keep')->{tickets}),
          [$t8->{id}], '... out of the lists; an open one stays';
is_deeply [map { $_->{id} } grep { $_->{kind} eq 'ticket' }
           @{ ok_call(alice => GET => 'customers/u-keep/records')->{items} }],
          [$t8->{id}], '... and out of the records';
is redis_cmd('EXISTS', "${K}cust:u-keep"), 1,
   '... a customer with a ticket is kept past the retention';

done_testing();
