# The Redis function library (issue #10 §1): loaded once per Redis under
# this build's version, checked on connect and loaded only when missing;
# after FUNCTION FLUSH or a restart without persistence the next calls
# still succeed (ERR Function not found -> FUNCTION LOAD -> the call
# again); two builds with different libraries serve side by side on one
# Redis (a rolling upgrade), and the old one is retired with FUNCTION
# DELETE.

use strict;
use warnings;

use File::Temp ();
use Test::More;
use t::CsqUtil;
use t::CsqApi;

my $factor = $t::CsqUtil::TimeoutFactor;

redis_start();

api_nginx_start(log_level => 'info',
                conf => "location = /s { csq_status; }\n");

sub status {
    my (%o) = @_;
    my %h = $o{port} ? ('-port' => $o{port}) : ();
    my ($s, $h, $b) = http_request(GET => '/s', undef, %h);
    my ($lib) = ($b // '') =~ /"library":"([0-9a-f]{16})"/;
    return ($s // 0, $lib // '', $b // '');
}

# the libraries in Redis: { name => [ function names ] }
sub libraries {
    my %libs;
    for my $l (@{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') }) {
        my %l = @$l;
        $libs{ $l{library_name} } =
            { map { my %f = @$_; ($f{name} => $f{flags}) }
                  @{ $l{functions} } };
    }
    return \%libs;
}

my ($s, $v, $b) = status();
is $s, 200, 'status is up' or diag $b;
like $v, qr/^[0-9a-f]{16}$/, 'status reports the library version';

my @files = glob 'ngx_csq_module/functions/*.lua';
my $libs = libraries();
is_deeply [keys %$libs], ["csq_$v"],
    'one library in Redis, named for the version status reports';
is scalar(keys %{ $libs->{"csq_$v"} }), scalar @files,
    'one function per file of ngx_csq_module/functions/';
is_deeply [grep { !/^csq_${v}_\w+$/ } keys %{ $libs->{"csq_$v"} }], [],
    'every function is named csq_<version>_<name>';
is_deeply $libs->{"csq_$v"}{"csq_${v}_status"}, ['no-writes'],
    'a pure read carries no-writes';
is_deeply $libs->{"csq_$v"}{"csq_${v}_conv_end"}, ['allow-oom'],
    'ending a conversation carries allow-oom';
is_deeply $libs->{"csq_$v"}{"csq_${v}_arrive"}, [], 'an arrival no flag';

# --- new connections find the library there: no load

my $mark = nginx_error_log_size();
ok nginx_reload(), 'reload: new workers, new connections';
($s) = status();
is $s, 200, 'status after the reload';
my $log = nginx_error_log($mark);
like $log, qr/csq: redis link|start worker process/, 'the reload is logged';
unlike $log, qr/loading function library/,
    'a library already there is not loaded again';

# --- FUNCTION FLUSH: loaded again by the first call that misses it

my $p = platform_token();
redis_cmd('FUNCTION', 'FLUSH');
is_deeply libraries(), {}, 'FUNCTION FLUSH: no library';

$mark = nginx_error_log_size();
my ($ts, $tj, $traw) = api(PUT => 'tenants/flush', {}, token => $p);
is $ts, 201, 'after FUNCTION FLUSH: a write (tenant put) succeeds'
    or diag $traw;
for my $i (1 .. 20) {
    ($s, $v, $b) = status();
    is $s, 200, "after FUNCTION FLUSH: status $i is 200" or diag $b;
}
is_deeply [keys %{ libraries() }], ["csq_$v"], 'the library is back';
($ts) = api(GET => 'tenants/flush', undef, token => $p);
is $ts, 200, 'the tenant written across the flush is there';

$log = nginx_error_log($mark);
like $log, qr/\[info\].*csq: redis: function "csq_${v}_\w+" not found/,
    'the miss is logged at info';
like $log, qr/\[info\].*csq: redis: loading function library "csq_$v"/,
    'the load is logged at info';
unlike $log, qr/\[(?:error|alert|crit)\]/, 'nothing logged as an error';

# --- Redis restarted without persistence: loaded on connect

redis_restart();
my $up = 0;
for (1 .. 100 * $factor) {
    ($s) = status();
    last if $s == 200 && ($up = 1);
    select undef, undef, undef, 0.05;
}
ok $up, 'after a Redis restart without persistence: status is up';
is_deeply [keys %{ libraries() }], ["csq_$v"],
    'the library was loaded again';

# --- a rolling upgrade: build B, another library, beside this build

SKIP: {
    my $tree = "$t::CsqUtil::RepoRoot/build/nginx";
    skip 'build B needs the build tree that make leaves in build/nginx', 12
        unless -f "$tree/objs/Makefile";

    # build B: the same sources but one comment, so another version; only
    # the library's generated file is compiled again
    my $dir = File::Temp::tempdir('csq-build-b-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    system('cp', '-a', $tree, "$dir/nginx") == 0 or die "cp: $?";
    system('cp', '-a', 'ngx_csq_module/functions', "$dir/functions") == 0
        or die "cp: $?";
    open my $fh, '>>', "$dir/functions/status.lua" or die $!;
    print $fh "-- build B of t/011-functions.t\n";
    close $fh;
    system("sh ngx_csq_module/embed_functions.sh $dir/functions"
           . " $dir/nginx/objs/addon/csq"
           . " && make -s -C $dir/nginx -f objs/Makefile modules"
           . " >$dir/make.log 2>&1") == 0
        or die "build B failed:\n" . `tail -20 $dir/make.log`;

    my ($pb, $prefix) = nginx_twin('build-b',
        module => "$dir/nginx/objs/ngx_http_csq_module.so");

    my ($sa, $va) = status();
    my ($sb, $vb) = (0, '');
    for (1 .. 100 * $factor) {
        ($sb, $vb) = status(port => $pb);
        last if $sb == 200;
        select undef, undef, undef, 0.05;
    }
    is $sa, 200, 'build A answers';
    is $sb, 200, 'build B answers, on the same Redis';
    isnt $vb, $va, 'with a library of another version';
    is_deeply [sort keys %{ libraries() }], [sort "csq_$va", "csq_$vb"],
        'both libraries live side by side in Redis';

    # both do real work on the same tenant while both run
    setup_tenant('roll', queues => { q => {} },
                 agents => { al => { queues => ['q'], capacity => 5 } },
                 fallback => 'q');
    my ($s1, $j1) = api(POST => 'tenants/roll/conversations',
                        { customer => 'c1' });
    my ($s2, $j2) = api(POST => 'tenants/roll/conversations',
                        { customer => 'c2' }, port => $pb);
    is $s1, 201, 'an arrival through build A';
    is $s2, 201, 'an arrival through build B';
    my ($g1, $k1) = api(GET => "tenants/roll/conversations/$j1->{id}",
                        undef, token => $p, port => $pb);
    my ($g2, $k2) = api(GET => "tenants/roll/conversations/$j2->{id}",
                        undef, token => $p);
    is "$g1 $k1->{agent}{id}", '200 al', 'B reads what A assigned';
    is "$g2 $k2->{agent}{id}", '200 al', 'A reads what B assigned';
    my ($a2) = api(GET => 'tenants/roll/agents/al', undef, token => $p,
                   port => $pb);
    is $a2, 200, 'B reads the agent';

    # retiring B: stop it, then delete its library
    nginx_twin_stop($prefix);
    redis_cmd('FUNCTION', 'DELETE', "csq_$vb");
    is_deeply [keys %{ libraries() }], ["csq_$va"],
        'FUNCTION DELETE retires the old library';
    my ($e) = api(POST => "tenants/roll/conversations/$j2->{id}/end", {},
                  token => $p);
    is $e, 200, 'build A goes on (ends what B assigned)';
    ($sa) = status();
    is $sa, 200, 'build A status after the retirement';
}

nginx_stop();

is valgrind_report(), '', 'valgrind: clean';

done_testing();
