# issue #5: sockets come and go while others open, on one worker: the
# worker's pub/sub connection leaves a channel while it asks for another
# (hiredis 0.14 leaves subscribed mode when a reply counts no channel, and
# then aborts on a subscribe reply: the worker keeps a channel of its own
# subscribed against that; the race is too narrow to force here).  Every
# socket still gets its hello, and no worker dies.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(workers => 1, log_level => 'info',
                http_config => "    csq_trusted 127.0.0.1;\n");   # 31 arrivals
setup_tenant('acme', queues => { sales => {} }, fallback => 'sales');

my @convs = map { arrive_ok('acme', customer => "u$_") } 1 .. 31;

sub path {
    my ($c) = @_;
    return "/api/tenants/acme/chat/ws?token=$c->{customer_token}"
         . "&conversation=$c->{id}";
}

my ($hellos, $prev) = (0, undef);
for my $i (0 .. 30) {
    # the last listener of a channel leaves just before or just after the
    # next socket's channel is asked for
    $prev->drop if $prev && $i % 2;
    my $ws = ws_open(path($convs[$i]));
    $prev->drop if $prev && !($i % 2);
    $hellos++ if $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' }, 3);
    $prev = $ws;
}
$prev->close if $prev;

is $hellos, 31, 'every socket got its hello while others closed';
my $log = nginx_error_log();
unlike $log, qr/exited on signal|\[alert\]/, 'no worker died';
is valgrind_report(), '', 'valgrind: clean' if $t::CsqUtil::UseValgrind;

done_testing();
