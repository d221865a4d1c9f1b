# issue #6: the demo tenant of `make run` (conf-examples/demo.sh): a
# robot-first queue with a welcome, two keyword rules and a hand-off
# keyword, a human queue, three agents, one link, the widget's allowlist.
# #13 §5: the agents start offline (nobody "online" without a workbench
# open; the script never sets a status), an admin login, the team's quick
# replies in two categories, a public and an internal article, the
# wrap-up's topics and statuses.
# Run twice: it only PUTs, so a second run changes nothing and makes no
# second copy of anything.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
my $port = api_nginx_start(log_level => 'info');
my $base = "http://127.0.0.1:$port/api";
my $p = platform_token();
my @agents = qw(alice bob sam admin);

# what the demo made that a second run could copy: the team's quick
# replies, the articles, the wrap-up
sub made {
    my ($tok) = @_;
    my ($s1, $qr) = api(GET => 'tenants/demo/quick-replies?scope=team',
                        undef, token => $tok);
    my ($s2, $kb) = api(GET => 'tenants/demo/kb', undef, token => $tok);
    my ($s3, $pub) = api(GET => 'tenants/demo/kb/public');
    my ($s4, $wu) = api(GET => 'tenants/demo/wrapup', undef, token => $tok);
    is "$s1 $s2 $s3 $s4", '200 200 200 200', 'the demo\'s tools are read';
    return { replies => $qr->{team},
             articles => [ map { [ $_->{id}, $_->{title}, $_->{category},
                                   $_->{external} ? 1 : 0 ] }
                           sort { $a->{id} cmp $b->{id} } @{ $kb->{articles} } ],
             public => [ map { $_->{id} } @{ $pub->{articles} } ],
             wrapup => $wu };
}

my @made;
for my $run (1, 2) {
    my $out = `bash conf-examples/demo.sh $base $Secret http://127.0.0.1:8081 2>&1`;
    is $?, 0, "demo.sh runs (run $run)" or diag $out;
    like $out, qr{chat page +\Q$base\E/tenants/demo/chat\?ch=welcome}, '... prints the chat URL';
    like $out, qr{widget test page +http://127\.0\.0\.1:8081/}, '... the widget page';
    like $out, qr{workbench +\Q$base\E/tenants/demo/workbench}, '... the workbench';
    like $out, qr{alice / alice-demo-pass}, '... and the agents';
    like $out, qr{admin +admin / admin-demo-pass}, '... and the admin';

    if ($run == 1) {
        for my $a (@agents) {
            is agent_get('demo', $a)->{status}, 'offline',
               "$a starts offline: no one talks to a customer with no workbench open";
        }
        my ($s, $j) = api(POST => 'tenants/demo/conversations',
                          { customer => 'early', queue => 'human' },
                          token => $p);
        ok $s == 200 || $s == 201, 'a customer arrives before any agent'
            or diag "$s " . explain $j;
        is $j->{state}, 'queued', '... and waits in line (no agent is online)'
            or diag explain $j;
        # an agent opens the workbench and chooses Online (its own token)
        my $tok = login_token('demo', 'bob', 'bob-demo-pass');
        ($s, $j) = api(POST => 'tenants/demo/agents/bob/status',
                       { status => 'online' }, token => $tok);
        is $s, 200, 'bob sets himself online';
    }
    push @made, made(login_token('demo', 'alice', 'alice-demo-pass'));
}

is agent_get('demo', 'bob')->{status}, 'online',
   'a second run leaves a status an agent chose alone';
is agent_get('demo', $_)->{status}, 'offline', "... $_ is still offline"
    for qw(alice sam admin);

my ($s, $j) = api(GET => 'tenants/demo', undef, token => $p);
is_deeply $j->{origins}, ['http://127.0.0.1:8081'], 'the allowlist holds the demo page';
is_deeply [sort @{ $j->{queues} }], ['bot', 'human'], 'two queues';
is queue_get('demo', 'bot')->{mode}, 'robot', 'the front desk is robot-first';
($s, $j) = api(GET => 'tenants/demo/keywords', undef, token => $p);
is scalar(@{ $j->{rules} }), 2, 'two keyword rules';
($s, $j) = api(GET => 'tenants/demo/links/welcome', undef, token => $p);
is $j->{queue}, 'bot', 'the link enters the robot-first queue';
my $tok = login_token('demo', 'sam', 'sam-demo-pass');
ok $tok, 'the printed passwords log in';

# the admin
($s, $j) = api(POST => 'tenants/demo/login',
               { agent => 'admin', password => 'admin-demo-pass' });
is $s, 200, 'the admin logs in with the printed password';
is $j->{role}, 'admin', '... as an admin';
my $admin = $j->{token};
is agent_get('demo', 'admin')->{role}, 'admin', 'the agent "admin" has the admin role';
is_deeply agent_get('demo', 'admin')->{queues}, [], '... and no queue (no customer is routed to it)';
($s) = api(GET => 'tenants/demo', undef, token => $admin);
is $s, 200, '... and may read the tenant\'s settings (an admin\'s call)';
($s) = api(GET => 'tenants/demo', undef,
           token => login_token('demo', 'sam', 'sam-demo-pass'));
is $s, 403, '... which the supervisor may not';

# quick replies, articles, wrap-up
my $m = $made[1];
is_deeply [ map { $_->{id} } @{ $m->{replies} } ],
          [qw(hello hello-zh moment shipping tracking)],
          'five team quick replies, in order';
is_deeply { map { $_->{id} => $_->{category} } @{ $m->{replies} } },
          { hello => 'Welcome', 'hello-zh' => 'Welcome', moment => 'Welcome',
            shipping => 'Orders', tracking => 'Orders' },
          '... in two categories';
ok +(grep { $_->{text} =~ /\{customer_name\}/ && $_->{text} =~ /\{agent_name\}/ }
     @{ $m->{replies} }) >= 2, '... with the customer\'s and the agent\'s names';
ok +(grep { $_->{text} =~ /您好/ } @{ $m->{replies} }), '... one of them in Chinese';
is_deeply $m->{articles},
          [ [ 'delivery', 'Delivery times', 'Orders', 1 ],
            [ 'refund-policy', 'Refunds: what an agent may offer', 'Internal', 0 ] ],
          'two knowledge articles, an external and an internal one';
is_deeply $m->{public}, ['delivery'],
          '... the chat page\'s FAQ bar lists the external one only';
is_deeply $m->{wrapup}{topics},
          ['Order', 'Delivery', 'Returns', 'Product question', 'Complaint'],
          'the wrap-up\'s topics';
is_deeply $m->{wrapup}{statuses}, ['Solved', 'Follow-up', 'Not solved'],
          '... and statuses';
ok !grep({ $_->{required} } @{ $m->{wrapup}{note_fields} }),
   '... and no service note field is required';
is_deeply $made[1], $made[0], 'the second run made no second copy of anything';

done_testing();
