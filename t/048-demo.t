# issue #6: the demo tenant of `make run` (conf-examples/demo.sh): a
# robot-first queue with a welcome, two keyword rules and a hand-off
# keyword, a human queue, three agents, one link, the widget's allowlist.
# Run twice: it only PUTs, so a second run changes nothing.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
my $port = api_nginx_start(log_level => 'info');
my $base = "http://127.0.0.1:$port/api";

for my $run (1, 2) {
    my $out = `bash conf-examples/demo.sh $base $Secret http://127.0.0.1:8081 2>&1`;
    is $?, 0, "demo.sh runs (run $run)" or diag $out;
    like $out, qr{chat page +\Q$base\E/tenants/demo/chat\?ch=welcome}, '... prints the chat URL';
    like $out, qr{widget test page +http://127\.0\.0\.1:8081/}, '... the widget page';
    like $out, qr{workbench +\Q$base\E/tenants/demo/workbench}, '... the workbench';
    like $out, qr{alice / alice-demo-pass}, '... and the agents';
}

my $p = platform_token();
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

done_testing();
