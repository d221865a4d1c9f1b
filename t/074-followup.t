# issue #14 §2 (R7.4, R4.9, R7.5): follow-up.  Contact plans (start, due,
# assignee, note) on customers of the library, "my contact plans" listed
# by due time, capped per assignee and per tenant, done ones kept for the
# tenant's plan_retention_minutes; a reminder pushed to the assignee's
# sockets when a plan falls due, exactly once whichever node ticks (two
# nginx ticking at once), and not lost when no socket was there (the
# hello's plans_due).  The callback list: abandoned chats with customer,
# queue, time and wait, for who may see them, called back once, gone
# with their conversation's retention.
#
# The tick runs by hand here (csq_tick 0, FCALL at a time of the test's
# choosing) until the last part, where two nginx tick every 50ms.

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
                http_config => "    csq_tick 0;\n"
                               . "    csq_presence_grace 300ms;\n");
my $P = setup_tenant('acme',
    tenant => { retention_minutes => 60, plan_retention_minutes => 30,
                plans_per_agent_max => 3, plans_max => 5 },
    queues => { sales => {}, nobody => {} },
    agents => { alice => { queues => ['sales'], capacity => 20 },
                bob => { queues => ['sales'], capacity => 20,
                         status => 'offline' },
                dan => { queues => ['nobody'], status => 'offline' },
                sue => { role => 'supervisor', status => 'offline' } },
    fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob dan sue);

my $TK = 'csq:{acme}:';
my ($lib) = map { my %l = @$_; $l{library_name} }
            @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
sub now_ms { return int(time * 1000) }
sub tick {
    return redis_cmd('FCALL', "${lib}_tick", 1, "${TK}tenant", now_ms(),
                     '', 'platform', '', '', '');
}
sub call { return tenant_call('acme', $T{ shift() }, @_) }
sub ok_call { return tenant_call_ok('acme', $T{ shift() }, @_) }
sub code { return $_[0] && $_[0]{error} ? $_[0]{error}{code} : '' }
sub sock {
    my ($who, %o) = @_;
    my $ws = ws_open("/api/tenants/acme/agent/ws?token=$T{$who}", %o)
        or die "ws $who\n";
    my $h = $ws->wait_json(sub { $_[0]{type} eq 'hello' }) or die "hello\n";
    return ($ws, $h);
}
# the reminders a socket got within $secs, taken
sub due_frames {
    my ($ws, $secs) = @_;
    $ws->drain($secs);
    my $p = $ws->{pending};
    my @due = grep { $_->{type} eq 'plan_due' } @$p;
    @$p = grep { $_->{type} ne 'plan_due' } @$p;
    return @due;
}

# customers: two of the library, one not
for my $c (['v1', 'Li Lei'], ['v2', 'Han Meimei'], ['v3', 'Outsider']) {
    my $a = arrive_ok('acme', customer => $c->[0], name => $c->[1]);
    end_conv_ok('acme', $a->{id});
}
customer('acme', $_, library => JSON::PP::true) for qw(v1 v2);

my ($s, $j) = api(GET => 'tenants/acme', undef, token => $P);
is_deeply [@$j{qw(plans_per_agent_max plans_max plan_retention_minutes)}],
          [3, 5, 30], 'R7.4 the tenant\'s caps and retention of plans';
($s) = api(PUT => 'tenants/acme', { plans_max => 0 }, token => $P);
is $s, 400, '... at least 1';

# --- a contact plan (R7.4)

my $t0 = now_ms();
my $p1 = ok_call(alice => POST => 'plans',
                 { customer => 'v1', start => $t0, due => $t0 + 3_600_000,
                   note => 'call about the renewal' }, 201);
like $p1->{id}, qr/^p\d+$/, 'R7.4 an agent makes a contact plan';
is_deeply [@$p1{qw(customer customer_name assignee status created_by note)}],
          ['v1', 'Li Lei', 'alice', 'open', 'alice', 'call about the renewal'],
          '... on its customer, assigned to itself, open';
is $p1->{due}, $t0 + 3_600_000, '... with its due time';
ok !$p1->{due_now}, '... not due yet';

($s, $j) = call(alice => POST => 'plans', { customer => 'v3', due => $t0 });
is $s, 404, 'R7.4 a customer not in the library: 404';
($s, $j) = call(alice => POST => 'plans', { customer => 'v1' });
is code($j), 'invalid_field', '... no due time: 400';
like $j->{error}{message}, qr/"due"/, '... naming it';
($s, $j) = call(alice => POST => 'plans',
                { customer => 'v1', start => $t0, due => $t0 - 1 });
is $s, 400, '... due before start: 400';
($s, $j) = call(alice => POST => 'plans',
                { customer => 'v1', due => $t0, note => 'x' x 2001 });
is $s, 400, '... a note over 2,000 bytes: 400';
($s, $j) = call(alice => POST => 'plans',
                { customer => 'v1', due => $t0, assignee => 'bob' });
is $s, 403, 'R7.4 an agent makes plans for itself only';
($s, $j) = call(sue => POST => 'plans',
                { customer => 'v1', due => $t0, assignee => 'nobody' });
is $s, 400, '... a supervisor\'s for an agent of the tenant';
my $pb = ok_call(sue => POST => 'plans',
                 { customer => 'v2', due => $t0 + 7_200_000,
                   assignee => 'bob' }, 201);
is_deeply [@$pb{qw(assignee created_by)}], ['bob', 'sue'],
          '... which a supervisor gives any agent';

($s) = call(bob => GET => "plans/$p1->{id}");
is $s, 404, 'R7.4 another agent\'s plan: 404';
is ok_call(sue => GET => "plans/$p1->{id}")->{note}, 'call about the renewal',
   '... a supervisor sees it';
($s) = call(bob => PUT => "plans/$p1->{id}", { note => 'mine now' });
is $s, 404, '... and another agent cannot change it';

# --- caps: per assignee, per tenant

my $p2 = ok_call(alice => POST => 'plans',
                 { customer => 'v2', due => $t0 - 1_000 }, 201);
my $p3 = ok_call(alice => POST => 'plans',
                 { customer => 'v1', due => $t0 - 1_000 }, 201);
($s, $j) = call(alice => POST => 'plans', { customer => 'v2', due => $t0 });
is_deeply [$s, code($j)], [409, 'too_many_plans'],
          'R7.4 an assignee\'s open plans are capped (plans_per_agent_max)';
my $p4 = ok_call(sue => POST => 'plans',
                 { customer => 'v2', due => $t0, assignee => 'dan' }, 201);
($s, $j) = call(sue => POST => 'plans',
                { customer => 'v1', due => $t0, assignee => 'dan' });
is_deeply [$s, code($j)], [409, 'too_many_plans'],
          '... and the tenant\'s (plans_max)';
like $j->{error}{message}, qr/team has 5/, '... saying which';

# --- "my contact plans"

$j = ok_call(alice => GET => 'plans');
is_deeply [map { $_->{id} } @{ $j->{plans} }],
          [(sort $p2->{id}, $p3->{id}), $p1->{id}],
          'R7.4 my contact plans, soonest due first';
is $j->{due}, 2, '... with how many are due';
$j = ok_call(alice => GET => 'plans?filter=due');
is_deeply [sort map { $_->{id} } @{ $j->{plans} }],
          [sort $p2->{id}, $p3->{id}], '... filter=due: those due now';
ok $j->{plans}[0]{due_now}, '... marked due_now';
($s) = call(alice => GET => 'plans?assignee=bob');
is $s, 403, 'R7.4 an agent lists its own only';
($s) = call(alice => GET => 'plans?filter=late');
is $s, 400, '... filter is open, due or done';
$j = ok_call(sue => GET => 'plans?assignee=all');
is scalar @{ $j->{plans} }, 5, '... a supervisor lists everyone\'s';
$j = ok_call(sue => GET => 'plans?assignee=bob');
is_deeply [map { $_->{id} } @{ $j->{plans} }], [$pb->{id}],
          '... or one agent\'s';

# paging: two plans share a due time; pages of one go through all
my @ids;
my $after = '';
for (1 .. 5) {
    $j = ok_call(sue => GET => "plans?assignee=all&limit=2$after");
    push @ids, map { $_->{id} } @{ $j->{plans} };
    last unless $j->{next};
    $after = "&after=$j->{next}";
}
is scalar @ids, 5, 'R7.4 pages of 2 give every plan once';
is_deeply [sort @ids], [sort map { $_->{id} } $p1, $p2, $p3, $p4, $pb],
          '... each';

# --- changes

$j = ok_call(alice => PUT => "plans/$p1->{id}",
             { note => 'renewal, 3 seats', due => $t0 + 1_800_000 });
is_deeply [@$j{qw(note due)}], ['renewal, 3 seats', $t0 + 1_800_000],
          'R7.4 the assignee changes the note and the due time';
($s, $j) = call(alice => PUT => "plans/$p1->{id}", { due => $t0 - 10_000,
                                                    start => $t0 });
is $s, 400, '... never before start';
($s) = call(alice => PUT => "plans/$p1->{id}", { assignee => 'bob' });
is $s, 403, '... another assignee is a supervisor\'s to give';
($s, $j) = call(sue => PUT => "plans/$pb->{id}", { assignee => 'alice' });
is_deeply [$s, code($j)], [409, 'too_many_plans'],
          '... within the new assignee\'s cap';
$j = ok_call(sue => PUT => "plans/$p1->{id}", { assignee => 'bob' });
is $j->{assignee}, 'bob', '... a supervisor moves it to another agent';
is_deeply [map { $_->{id} } @{ ok_call(bob => GET => 'plans')->{plans} }],
          [$p1->{id}, $pb->{id}], '... on whose list it is now';
$j = ok_call(alice => GET => 'plans');
is scalar @{ $j->{plans} }, 2, '... and off the first one\'s';
is ok_call(alice => GET => "plans/$p1->{id}")->{id}, $p1->{id},
   '... who made it and still sees it';

$j = ok_call(alice => PUT => "plans/$p2->{id}", { status => 'done' });
is_deeply [@$j{qw(status done_by)}], ['done', 'alice'],
          'R7.4 done: by whom';
ok $j->{done} >= $t0, '... and when';
($s, $j) = call(alice => PUT => "plans/$p2->{id}", { note => 'again' });
is_deeply [$s, code($j)], [409, 'plan_closed'], '... then closed for good';
ok_call(alice => PUT => "plans/$p3->{id}", { status => 'cancelled' });
$j = ok_call(alice => GET => 'plans?filter=done');
is_deeply [map { $_->{status} } @{ $j->{plans} }], ['cancelled', 'done'],
          '... filter=done: done and cancelled ones, newest first';
is scalar @{ ok_call(alice => GET => 'plans')->{plans} }, 0,
   '... none open is left';
ok_call(alice => POST => 'plans', { customer => 'v2', due => $t0 }, 201);
ok 1, '... and the cap has room again';

# --- reminders (R7.4)

# clear the board: every open plan goes
for my $p (@{ ok_call(sue => GET => 'plans?assignee=all&limit=200')->{plans} })
{
    ok_call(sue => PUT => "plans/$p->{id}", { status => 'cancelled' });
}
api(PUT => 'tenants/acme', { plans_per_agent_max => 1000, plans_max => 1000 },
    token => $P);

my ($wa) = sock('alice');
my $r1 = ok_call(alice => POST => 'plans',
                 { customer => 'v1', due => now_ms() - 1000 }, 201);
my $later = ok_call(alice => POST => 'plans',
                    { customer => 'v2', due => now_ms() + 3_600_000 }, 201);
tick();
my @f = due_frames($wa, 0.5);
is_deeply [map { $_->{plan}{id} } @f], [$r1->{id}],
          'R7.4 the tick reminds the assignee\'s socket of a plan due';
is $f[0]{plan}{customer_name}, 'Li Lei', '... with the plan and customer';
tick();
is scalar(due_frames($wa, 0.5)), 0, '... once: the next tick does not';
ok ok_call(alice => GET => "plans/$r1->{id}")->{reminded},
   '... the plan says when it reminded';

ok_call(alice => PUT => "plans/$r1->{id}", { due => now_ms() - 10 });
tick();
is scalar(due_frames($wa, 0.5)), 1, 'R7.4 a new due time is reminded again';

# a due plan moved to another agent is reminded to it
my $mv = ok_call(sue => POST => 'plans', { customer => 'v1', assignee => 'bob',
                                           due => now_ms() - 500 }, 201);
tick();
ok_call(sue => PUT => "plans/$mv->{id}", { assignee => 'alice' });
tick();
is_deeply [map { $_->{plan}{id} } due_frames($wa, 0.5)], [$mv->{id}],
          'R7.4 a due plan given to another agent is reminded to it';
ok_call(alice => PUT => "plans/$mv->{id}", { status => 'cancelled' });

# a socket that is not there when the plan falls due
my $rb = ok_call(sue => POST => 'plans',
                 { customer => 'v2', due => now_ms() - 1000,
                   assignee => 'bob' }, 201);
tick();
ok ok_call(bob => GET => "plans/$rb->{id}")->{reminded},
   'R7.4 a plan falls due while its assignee has no socket';
my ($wb, $hello) = sock('bob');
is $hello->{plans_due}, 1,
   '... the socket it opens later says so in its hello (plans_due)';
is_deeply [map { $_->{id} } @{ ok_call(bob => GET => 'plans?filter=due')
                                   ->{plans} }], [$rb->{id}],
          '... and lists it with filter=due';
ok_call(bob => PUT => "plans/$rb->{id}", { status => 'done' });
$wb->close;
($wb, $hello) = sock('bob');
is $hello->{plans_due}, 0, '... until it is done';
$wb->close;

# a supervisor gives alice a plan: her sockets hear of it
ok_call(sue => POST => 'plans', { customer => 'v1', due => now_ms() + 60_000,
                                  assignee => 'alice' }, 201);
ok $wa->wait_json(sub { $_[0]{type} eq 'plan' && $_[0]{plan}{created_by}
                        eq 'sue' }, 2),
   'R7.4 a plan another gives is told to the assignee\'s sockets';

# --- retention of done plans

my $old = ok_call(alice => POST => 'plans',
                  { customer => 'v1', due => now_ms() + 60_000 }, 201);
ok_call(alice => PUT => "plans/$old->{id}", { status => 'done' });
redis_cmd('ZADD', "${TK}plans:done", now_ms() - 31 * 60000, $old->{id});
tick();
is redis_cmd('EXISTS', "${TK}plan:$old->{id}"), 0,
   'R7.4 a done plan older than plan_retention_minutes goes';
ok !grep({ $_->{id} eq $old->{id} }
         @{ ok_call(alice => GET => 'plans?filter=done')->{plans} }),
   '... off the done list';
($s) = call(alice => GET => "plans/$old->{id}");
is $s, 404, '... for good';
is redis_cmd('EXISTS', "${TK}plan:$later->{id}"), 1,
   '... an open one stays';

# --- the callback list (R4.9, R7.5)

my @ab;
for my $i (1 .. 3) {
    my $c = arrive_ok('acme', customer => "w$i", name => "Waiter $i",
                      queue => 'nobody');
    sleep 0.02;
    ($s) = api(POST => "tenants/acme/conversations/$c->{id}/leave", undef,
               token => $c->{customer_token});
    die "leave: $s\n" unless $s == 200;
    push @ab, $c;
}
$j = ok_call(sue => GET => 'callbacks');
is_deeply [map { $_->{id} } @{ $j->{callbacks} }],
          [map { "chat.$_->{id}" } reverse @ab],
          'R4.9 an abandoned chat is on the callback list, newest first';
my $e = $j->{callbacks}[0];
is_deeply [@$e{qw(kind conversation customer customer_name queue status)}],
          ['chat', $ab[2]{id}, 'w3', 'Waiter 3', 'nobody', 'open'],
          '... kind chat, its conversation, customer and queue';
ok $e->{waited} >= 15 && $e->{at} > $t0, '... when, and how long it waited';
is $j->{open}, 3, '... how many wait';
is scalar @{ ok_call(alice => GET => 'callbacks')->{callbacks} }, 0,
   'R4.9 an agent sees none of another queue\'s';
is scalar @{ ok_call(dan => GET => 'callbacks')->{callbacks} }, 3,
   '... an agent of the queue sees them';
$j = ok_call(sue => GET => 'callbacks?limit=2');
my $j2 = ok_call(sue => GET => "callbacks?limit=2&after=$j->{next}");
is_deeply [map { $_->{id} } @{ $j->{callbacks} }, @{ $j2->{callbacks} }],
          [map { "chat.$_->{id}" } reverse @ab], '... paged';
($s) = call(sue => GET => 'callbacks?filter=all');
is $s, 400, '... filter is open or done';
is scalar @{ ok_call(sue => GET => 'callbacks?kind=call')->{callbacks} }, 0,
   'R7.5 kind=call: none (lost calls join later)';
($s) = call(sue => GET => 'callbacks?kind=sms');
is $s, 400, '... kind is chat or call';

my $cb = "chat.$ab[0]{id}";
($s) = call(alice => POST => "callbacks/$cb/done", {});
is $s, 404, 'R4.9 an agent that may not see it cannot call it back';
$j = ok_call(dan => POST => "callbacks/$cb/done",
             { outcome => 'called, will order tomorrow' });
is_deeply [@$j{qw(status done_by outcome)}],
          ['done', 'dan', 'called, will order tomorrow'],
          'R4.9 called back: by whom, the outcome';
ok $j->{done} >= $t0, '... and when';
($s, $j) = call(sue => POST => "callbacks/$cb/done", {});
is_deeply [$s, code($j)], [409, 'already_done'], '... once';
is_deeply [map { $_->{id} } @{ ok_call(sue => GET => 'callbacks?filter=done')
                                   ->{callbacks} }], [$cb],
          '... on the done list';
is ok_call(sue => GET => 'callbacks')->{open}, 2, '... off the open one';

# retention: with the conversation
redis_cmd('ZADD', "${TK}ended", now_ms() - 61 * 60000, $ab[1]{id});
tick();
is redis_cmd('EXISTS', "${TK}cb:chat.$ab[1]{id}"), 0,
   'R4.9 an entry goes with its conversation (retention_minutes)';
is_deeply [map { $_->{id} } @{ ok_call(sue => GET => 'callbacks')
                                   ->{callbacks} }], ["chat.$ab[2]{id}"],
          '... off the list';

# --- exactly once across nodes: two nginx, two workers each, tick 50ms

ok nginx_reload(http_config => api_http_config("    csq_tick 50ms;\n")),
   'ticking every 50ms';
my ($port2, $prefix2) = nginx_twin('followup2');
$wa->close;
($wa) = sock('alice');
my $wa2 = ws_open("/api/tenants/acme/agent/ws?token=$T{alice}",
                  port => $port2) or die "ws on the twin\n";
$wa2->wait_json(sub { $_[0]{type} eq 'hello' }) or die "hello twin\n";
my $due = now_ms() + 2500;
my %made;
for my $i (1 .. 250) {
    my $p = ok_call(alice => POST => 'plans',
                    { customer => $i % 2 ? 'v1' : 'v2', due => $due }, 201);
    $made{ $p->{id} } = 1;
}
ok now_ms() < $due, '250 plans due at one time';
my (%n1, %n2);
$n1{ $_->{plan}{id} }++ for due_frames($wa, ($due - now_ms()) / 1000 + 2.5);
$n2{ $_->{plan}{id} }++ for due_frames($wa2, 0.5);
is scalar(keys %n1), 250, 'R7.4 a socket on one node hears every reminder';
is scalar(grep { $n1{$_} == 1 } keys %n1), 250, '... each once';
is scalar(keys %n2), 250, '... and one on the other node too';
is scalar(grep { $n2{$_} == 1 } keys %n2), 250, '... each once';
is scalar(grep { !$made{$_} } keys %n1), 0, '... only the plans made';
is redis_cmd('ZCOUNT', "${TK}plans:remind", '-inf', now_ms()), 0,
   '... none due is left to remind';

$wa->close;
$wa2->close;
nginx_twin_stop($prefix2);
done_testing;
