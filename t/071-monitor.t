# issue #13 §3 (R8.3): the supervisors' monitor over the socket.  A
# supervisor's socket hears the tenant's team channel: every agent's
# status and reception, and each conversation assigned, transferred or
# ended, as "team" frames (the workbench then reads GET agents, whose
# agents carry status_since: time in status); an agent's socket does not.
# A conversation's messages are not on it (the relay's hot path).

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info');
setup_tenant('acme', queues => { sales => {} },
             agents => {
                 alice => { queues => ['sales'], capacity => 5 },
                 bob => { queues => ['sales'], capacity => 5,
                          status => 'offline' },
                 sue => { role => 'supervisor', status => 'offline' } },
             fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob sue);

sub sock {
    my $ws = ws_open("/api/tenants/acme/agent/ws?token=$T{$_[0]}") or die;
    $ws->wait_json(sub { $_[0]{type} eq 'hello' }) or die "hello\n";
    return $ws;
}
my $sup = sock('sue');
my $bob = sock('bob');
sub team {
    my ($ws, $match, $t) = @_;
    return $ws->wait_json(sub { $_[0]{type} eq 'team' && $match->($_[0]) },
                          $t);
}

set_status('acme', 'bob', status => 'online');
my $f = team($sup, sub { $_[0]{event} eq 'status' && $_[0]{agent} eq 'bob' });
ok $f, 'R8.3 a supervisor\'s socket hears an agent\'s status change';

my $c = arrive_ok('acme', customer => 'cu1');
my $who = $c->{agent}{id};
$f = team($sup, sub { $_[0]{event} eq 'assigned'
                      && ($_[0]{conversation} // '') eq $c->{id} });
is $f && $f->{agent}, $who, '... an assignment, naming its agent';

tenant_call_ok('acme', $T{sue}, POST => "agents/alice/status",
               { reception => JSON::PP::false });
ok team($sup, sub { $_[0]{event} eq 'reception' && $_[0]{agent} eq 'alice' }),
   '... a reception change';

end_conv_ok('acme', $c->{id});
ok team($sup, sub { $_[0]{event} eq 'ended'
                    && ($_[0]{conversation} // '') eq $c->{id} }),
   '... an end';

ok !team($bob, sub { 1 }, 0.5), 'an agent\'s socket hears none of it';

my ($s, $j) = tenant_call('acme', $T{sue}, GET => 'agents');
my ($b) = grep { $_->{id} eq 'bob' } @{ $j->{agents} };
ok $b->{status_since} && $b->{status_since} > 1e12,
   'R8.3 GET agents: each agent\'s status_since (time in status)';

done_testing;
