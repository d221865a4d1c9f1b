package Test::Nginx::Socket;

# A small, self-contained implementation of the Test::Nginx::Socket
# data-driven test format (the "=== TEST n" / "--- section" block format
# made popular by openresty/test-nginx).  It was written from the format's
# public documentation so that .t files look exactly like the ones written
# for upstream Test::Nginx; it is not a copy of upstream's code and only
# covers the HTTP/1.x subset of the format (see the POD at the end).
#
# Typical use:
#
#     use Test::Nginx::Socket 'no_plan';
#     run_tests();
#     __DATA__
#     === TEST 1: hello
#     --- config
#         location = /t { return 200 "hello\n"; }
#     --- request
#     GET /t
#     --- response_body
#     hello

use strict;
use warnings;

# "-base" (lower case) makes this package a Test::Base subclass and exports
# Test::Base's functions here, without Spiffy's "my $self = shift" source
# filter (which "-Base" would apply to this file).
use Test::Base -base;

use Cwd ();
use Errno ();
use File::Path ();
use IO::Select ();
use IO::Socket::INET ();
use List::Util ();
use POSIX ();
use Socket ();
use Time::HiRes ();

# Process, lock, file, socket and valgrind helpers, shared with the
# scenario tests' t/CsqUtil.pm (the repository root is on @INC when the
# suite runs; see t/CsqProc.pm for why they live there).
use t::CsqProc qw(
    find_nginx port_accepts stop_group spawn lock_prefix
    load_module_conf main_conf
    valgrind_cmd valgrind_scan log_diag write_all drain
    slurp read_from file_size write_file last_lines
);

our $VERSION = '0.30';

our @EXPORT = qw(
    run_tests run_test
    repeat_each no_shuffle no_long_string no_root_location
    master_on master_off master_process_enabled
    workers worker_connections log_level
    add_block_preprocessor add_response_body_check add_cleanup_handler
    env_to_nginx
    server_port server_port_for_client server_root html_dir server_addr
    check_accum_error_log no_check_leak no_nginx_manager
    is_str bail_out
    $ServerPort $ServerPortForClient $ServerRoot $ServRoot $ServerAddr
    $NginxBinary $NginxVersion $LogLevel
);

# ---------------------------------------------------------------------------
# Global settings (mostly changed by the exported configuration functions,
# which must be called before run_tests()).
# ---------------------------------------------------------------------------

our $RepoRoot   = Cwd::cwd();
our $ServRoot   = $ENV{TEST_NGINX_SERVROOT} || "$RepoRoot/t/servroot";
our $ServerRoot = $ServRoot;    # alias under the name used by our docs
our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || 1984;
our $ServerPortForClient = $ServerPort;
our $ServerAddr = '127.0.0.1';
our $ServerName = 'localhost';

our $RepeatEach        = 1;
our $Workers           = 1;
our $WorkerConnections = 64;
our $MasterProcessEnabled = 0;
our $LogLevel          = 'debug';
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE} ? 1 : 0;
our $NoLongString      = 0;
our $NoRootLocation    = 0;
our $CheckAccumErrLog  = 0;
our $NoNginxManager    = 0;
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $Verbose           = $ENV{TEST_NGINX_VERBOSE} || 0;
our $UseValgrind       = $ENV{TEST_NGINX_USE_VALGRIND} || 0;

our @EnvToNginx;
our @BlockPreprocessors;
our @ResponseBodyChecks;
our @CleanupHandlers;

# How long to wait for nginx to come up / go down, in seconds.
our $StartTimeout = $ENV{TEST_NGINX_START_TIMEOUT}
                    || ($UseValgrind ? 30 : 5);
our $StopTimeout  = $UseValgrind ? 60 : 5;

# Timeouts are stretched under valgrind, which is roughly 5x-50x slower.
our $TimeoutFactor = $UseValgrind ? 5 : 1;

our $NginxBinary = $ENV{TEST_NGINX_BINARY} || find_nginx();
our $NginxVersion;    # e.g. "1.22.1", filled lazily by nginx_version()

# Let .t files and configs reference these the upstream way.
$ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
$ENV{TEST_NGINX_HTML_DIR}  ||= "$ServRoot/html";
$ENV{TEST_NGINX_SERVROOT}  ||= $ServRoot;

# Environment variables passed through to nginx by default ("env" lines).
my @DefaultEnv = qw(LD_PRELOAD LD_LIBRARY_PATH ASAN_OPTIONS);

# State of the nginx child process we manage.
my $NginxPid;           # pid of the nginx (or valgrind) child
my $ParentPid = $$;     # so that forked children never clean up
my $LastConfig;         # "--- config" reuse, as upstream documents
my $ServRootReady = 0;

# ---------------------------------------------------------------------------
# Exported configuration functions
# ---------------------------------------------------------------------------

# Plain get/set accessors: NAME(VALUE) sets the setting, NAME() returns it.
my %Accessors = (
    repeat_each            => \$RepeatEach,
    workers                => \$Workers,
    worker_connections     => \$WorkerConnections,
    log_level              => \$LogLevel,
    server_port_for_client => \$ServerPortForClient,
    server_addr            => \$ServerAddr,
);
for my $name (keys %Accessors) {
    my $ref = $Accessors{$name};
    no strict 'refs';
    *$name = sub { $$ref = shift if @_; return $$ref };
}

sub master_on  { $MasterProcessEnabled = 1; return }
sub master_off { $MasterProcessEnabled = 0; return }

sub master_process_enabled {
    $MasterProcessEnabled = $_[0] ? 1 : 0 if @_;
    return $MasterProcessEnabled;
}

sub no_shuffle            { $NoShuffle = 1; return }
sub no_long_string        { $NoLongString = 1; return }
sub no_root_location      { $NoRootLocation = 1; return }
sub check_accum_error_log { $CheckAccumErrLog = 1; return }
sub no_check_leak         { return }    # leak-check mode is not supported
sub no_nginx_manager      { $NoNginxManager = 1; return }

sub add_block_preprocessor {
    return _add_code(\@BlockPreprocessors, 'add_block_preprocessor', @_);
}

sub add_response_body_check {
    return _add_code(\@ResponseBodyChecks, 'add_response_body_check', @_);
}

sub add_cleanup_handler {
    return _add_code(\@CleanupHandlers, 'add_cleanup_handler', @_);
}

sub _add_code {
    my ($list, $what, $cb) = @_;
    die "$what: a code ref is required\n" unless ref $cb eq 'CODE';
    push @$list, $cb;
    return;
}

sub env_to_nginx {
    push @EnvToNginx, @_;
    return;
}

sub server_port {
    if (@_) {
        $ServerPort = $ServerPortForClient = shift;
        $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    }
    return $ServerPort;
}

sub server_root { return $ServRoot }
sub html_dir    { return "$ServRoot/html" }

sub bail_out {
    my $msg = shift;
    _cleanup();
    Test::More::BAIL_OUT($msg);
}

# is_str($got, $expected, $name): string equality that also accepts a
# Regexp as the expected value, and shows a diff for multi-line mismatches.
sub is_str {
    my ($got, $expected, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;

    if (ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $name);
    }

    if (defined $got && defined $expected && $got eq $expected) {
        return Test::More::ok(1, $name);
    }
    if (!defined $got && !defined $expected) {
        return Test::More::ok(1, $name);
    }

    my $ok = Test::More::ok(0, $name);
    Test::More::diag(_describe_mismatch($got, $expected));
    return $ok;
}

# ---------------------------------------------------------------------------
# Main entry points
# ---------------------------------------------------------------------------

sub run_tests {
    my $tb = Test::More->builder;

    # A missing plan would otherwise make Test::Base's END block try to
    # run_compare() the blocks, which makes no sense for nginx blocks.
    Test::More::plan('no_plan') unless $tb->has_plan;

    _prepare_servroot();

    my @blocks = blocks();    # runs the Test::Base filters (eval, chomp...)

    if (!$NoShuffle) {
        @blocks = List::Util::shuffle(@blocks);
    }

    for my $block (@blocks) {
        run_test($block);
    }

    _cleanup() unless $ENV{TEST_NGINX_NO_CLEAN};
    return;
}

sub run_test {
    my $block = shift;

    _prepare_servroot();

    my $name = $block->name;
    $name = 'TEST ' . ($block->seq_num // '?') unless defined $name
                                                      && length $name;

    my $tb = Test::More->builder;
    my $in_todo = 0;

    my $ok = eval {
        for my $pre (@BlockPreprocessors) {
            $pre->($block);
        }

        # --- skip_nginx / skip_nginx2 / skip_eval: skip N subtests.
        my ($skip_count, $skip_reason) = _skip_info($block, $name);
        if ($skip_count) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $skip_count);
            }
            return 1;    # leaves the eval
        }

        # --- todo: N: reason
        my $todo = _sec($block, 'todo');
        if (defined $todo) {
            my $reason = $todo =~ /^\s*\d+\s*:\s*(.*?)\s*$/s ? $1 : $todo;
            $tb->todo_start($reason || 'todo');
            $in_todo = 1;
        }

        _run_block($block, $name);
        1;
    };
    my $err = $@;

    $tb->todo_end if $in_todo;

    if (!$ok) {
        # Never leave nginx running behind a crashed block.
        stop_nginx($name);
        Test::More::fail("$name - test scaffold error");
        Test::More::diag($err);
    }
    return;
}

# ---------------------------------------------------------------------------
# Running one block
# ---------------------------------------------------------------------------

sub _run_block {
    my ($block, $name) = @_;

    # "--- config" is reused from the previous block when absent (upstream
    # documents this; it only makes sense together with no_shuffle()).
    my $config = _sec($block, 'config');
    if (defined $config) {
        $LastConfig = $config;
    } else {
        $config = $LastConfig // '';
    }

    my $timeout = _parse_time(_sec($block, 'timeout')) // $Timeout;
    $timeout *= $TimeoutFactor;

    _write_user_files($block);

    my $conf_text = _build_nginx_conf($block, $config);
    write_file("$ServRoot/conf/nginx.conf", $conf_text);

    my $errlog = "$ServRoot/logs/error.log";
    my $acclog = "$ServRoot/logs/access.log";
    my $stderr_log = "$ServRoot/logs/stderr.log";

    # Everything this block appends to the logs is what we check.
    my $block_err_pos    = file_size($errlog);
    my $block_acc_pos    = file_size($acclog);
    my $block_stderr_pos = file_size($stderr_log);

    stop_nginx($name);

    if (defined(my $must_die = _sec($block, 'must_die'))) {
        return _run_must_die($block, $name, $must_die, $block_err_pos,
                             $block_stderr_pos);
    }

    if (!$NoNginxManager) {
        my $err = start_nginx();
        if ($err) {
            Test::More::fail("$name - nginx started");
            Test::More::diag($err);
            if ($NginxPid) {
                stop_nginx($name);
            } elsif ($UseValgrind) {
                _check_valgrind($name);    # it may have died of an error
            }
            return;
        }
    }

    # --- init: Perl code run once after nginx started, before requests.
    my $init = $block->init;
    if (defined $init) {
        my $ok;
        if (ref $init eq 'CODE') {
            $ok = eval { $init->($block); 1 };
        } else {
            $ok = eval "package main; no strict; $init; 1";    ## no critic
        }
        if (!$ok) {
            Test::More::fail("$name - --- init code failed");
            Test::More::diag($@);
        }
    }

    my $requests = _build_requests($block, $name);

    for my $rep (0 .. $RepeatEach - 1) {
        my $err_pos = ($rep == 0 || $CheckAccumErrLog)
                      ? $block_err_pos : file_size($errlog);
        my $acc_pos = ($rep == 0 || $CheckAccumErrLog)
                      ? $block_acc_pos : file_size($acclog);

        _run_requests($block, $name, $requests, $rep, $timeout);

        if (defined(my $wait = _sec($block, 'wait'))) {
            my $secs = _parse_time($wait);
            Time::HiRes::sleep($secs * $TimeoutFactor) if $secs;
        }

        # nginx may still be logging the request we just finished (e.g.
        # the log phase runs after a lingering close), so let the logs
        # settle before reading them.
        _settle_files($errlog, $acclog) unless $NoNginxManager;

        my $log = read_from($errlog, $err_pos);
        _check_log_patterns($block, $name, $log, 'error_log', 'error.log',
                            $rep);
        _check_grep_error_log($block, $name, $log, $rep);
        _warn_alerts($block, $name, $log);

        if (defined $block->access_log || defined $block->no_access_log) {
            my $alog = read_from($acclog, $acc_pos);
            _check_log_patterns($block, $name, $alog, 'access_log',
                                'access.log', $rep);
        }
    }

    stop_nginx($name);
    return;
}

# "--- must_die": nginx has to exit with an error instead of serving.
sub _run_must_die {
    my ($block, $name, $must_die, $err_pos, $stderr_pos) = @_;

    my $pid = _spawn_nginx(0);    # valgrind makes no sense here

    # Wait for nginx to exit.  Once it has written its pid file the
    # configuration was accepted; it then gets a short grace period to die
    # while initializing its worker(s).
    my $pidfile = "$ServRoot/logs/nginx.pid";
    my $deadline = Time::HiRes::time() + $StartTimeout;
    my $started;
    my $status;
    while (Time::HiRes::time() < $deadline) {
        my $r = waitpid($pid, POSIX::WNOHANG());
        if ($r == $pid) {
            $status = $?;
            last;
        }
        if (!$started && _pidfile_is($pidfile, $pid)) {
            $started = 1;
            $deadline = Time::HiRes::time() + 1;
        }
        Time::HiRes::sleep(0.02);
    }

    if (!defined $status) {
        $NginxPid = $pid;
        local $UseValgrind = 0;    # it was not started under valgrind
        stop_nginx($name);
        Test::More::fail("$name - nginx must die but is still running");
        return;
    }

    my $code = $status >> 8;
    $must_die =~ s/^\s+|\s+$//g;
    if ($must_die =~ /^\d+$/) {
        Test::More::is($code, $must_die, "$name - nginx died with exit code"
                                         . " $must_die");
    } else {
        Test::More::ok($status != 0,
                       "$name - nginx died as expected (must_die)")
            or Test::More::diag("nginx exited with status 0");
    }

    # nginx reports configuration errors on stderr (the error log is not
    # open yet at that point), so check both.
    my $log = read_from("$ServRoot/logs/stderr.log", $stderr_pos)
              . read_from("$ServRoot/logs/error.log", $err_pos);
    _check_log_patterns($block, $name, $log, 'error_log', 'error.log', 0);
    return;
}

# ---------------------------------------------------------------------------
# nginx.conf generation
# ---------------------------------------------------------------------------

sub _build_nginx_conf {
    my ($block, $config) = @_;

    my $main_config      = _sec($block, 'main_config')      // '';
    my $post_main_config = _sec($block, 'post_main_config') // '';
    my $http_config      = _sec($block, 'http_config')      // '';
    my $server_name      = _sec($block, 'server_name')      // $ServerName;
    my $log_level        = _sec($block, 'log_level')        // $LogLevel;
    for ($server_name, $log_level) {
        s/^\s+|\s+$//g;
    }

    my $conf = load_module_conf()
               . main_conf($MasterProcessEnabled, $Workers, $log_level);

    for my $env (@DefaultEnv) {
        $conf .= "env $env;\n";
    }
    for my $env (@EnvToNginx) {
        # "baz=hello world" needs quoting to stay a single argument.
        $conf .= $env =~ /[\s;'"{}]/ ? "env '$env';\n" : "env $env;\n";
    }

    $conf .= <<"_EOC_";

# --- main_config
$main_config
# --- end main_config

events {
    worker_connections $WorkerConnections;
}

http {
    access_log logs/access.log;
    default_type text/plain;
    keepalive_timeout 68;

    # --- http_config
$http_config
    # --- end http_config

    server {
        listen $ServerPort;
        server_name $server_name;
        client_max_body_size 30M;

        # --- config
$config
        # --- end config
_EOC_

    if (!$NoRootLocation) {
        $conf .= <<"_EOC_";

        location / {
            root html;
            index index.html index.htm;
        }
_EOC_
    }

    $conf .= <<"_EOC_";
    }
}

# --- post_main_config
$post_main_config
_EOC_

    return $conf;
}

# "--- user_files": files created in the html dir before nginx starts.
#
#     >>> foo.txt [CCYYMMDDhhmm.ss]
#     content
#
# or (with "eval") [ [ "foo.txt" => "content", mtime? ], ... ]
sub _write_user_files {
    my $block = shift;
    my $spec = _sec($block, 'user_files');
    return unless defined $spec;

    my @files;
    if (ref $spec eq 'ARRAY') {
        for my $f (@$spec) {
            die "bad --- user_files entry\n" unless ref $f eq 'ARRAY';
            push @files, [@$f];
        }
    } else {
        my $cur;
        for my $line (split /^/m, $spec) {
            if ($line =~ /^>>>\s+(\S+)(?:\s+(\S+))?\s*$/) {
                $cur = [$1, '', $2];
                push @files, $cur;
            } elsif ($cur) {
                $cur->[1] .= $line;
            }
        }
    }

    for my $f (@files) {
        my ($path, $content, $mtime) = @$f;
        my $full = html_dir() . "/$path";
        (my $dir = $full) =~ s{/[^/]*$}{};
        File::Path::make_path($dir);
        write_file($full, $content // '');
        if (defined $mtime) {
            my $t = _parse_touch_time($mtime);
            utime($t, $t, $full) if defined $t;
        }
    }
    return;
}

# "199801171935.33" (touch -t format, local time) or plain epoch seconds.
sub _parse_touch_time {
    my $s = shift;
    if ($s =~ /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d\d))?$/) {
        return POSIX::mktime($6 // 0, $5, $4, $3, $2 - 1, $1 - 1900);
    }
    return $s =~ /^\d+$/ ? $s : undef;
}

# ---------------------------------------------------------------------------
# nginx process management
# ---------------------------------------------------------------------------

sub nginx_version {
    return $NginxVersion if defined $NginxVersion;
    my $out = `'$NginxBinary' -v 2>&1`;
    $NginxVersion = $out =~ m{nginx/(\d+(?:\.\d+)*)} ? $1 : '0';
    return $NginxVersion;
}

# Create t/servroot once per test file: conf/, logs/, html/.
sub _prepare_servroot {
    return if $ServRootReady;
    $ServRootReady = 1;

    _lock_servroot();
    _kill_stale_nginx();

    File::Path::remove_tree($ServRoot) if -d $ServRoot;
    File::Path::make_path("$ServRoot/conf", "$ServRoot/logs",
                          "$ServRoot/html");
    return;
}

# t/servroot and the server port are shared by all test files: hold an
# exclusive lock on "t/servroot.lock" for the life of this process so that
# concurrent runs (prove -j, two shells) wait for each other instead of
# wiping each other's servroot.
sub _lock_servroot {
    lock_prefix($ServRoot, sub { Test::More::diag($_[0]) });
    return;
}

# An nginx left running by an interrupted earlier run would keep the port.
# Only kill it if the pid file points to an nginx that uses our prefix.
sub _kill_stale_nginx {
    my $pidfile = "$ServRoot/logs/nginx.pid";
    return unless -f $pidfile;
    my $pid = slurp($pidfile);
    return unless defined $pid && $pid =~ /^\s*(\d+)\s*$/;
    $pid = $1;
    my $cmdline = slurp("/proc/$pid/cmdline") // '';
    $cmdline =~ s/\0/ /g;
    return unless $cmdline =~ /nginx/ && index($cmdline, $ServRoot) >= 0;
    kill 'TERM', $pid;
    for (1 .. 100) {
        last unless kill 0, $pid;
        Time::HiRes::sleep(0.05);
    }
    kill 'KILL', $pid if kill 0, $pid;
    return;
}

# Fork and exec nginx (optionally under valgrind).  Returns the child pid.
# The child gets its own process group so that it and its workers can be
# killed together, and its stdout/stderr go to logs/stderr.log.
sub _spawn_nginx {
    my $with_valgrind = shift;

    unlink "$ServRoot/logs/nginx.pid";

    my @cmd = ($NginxBinary, '-p', "$ServRoot/", '-c', 'conf/nginx.conf');
    unshift @cmd, valgrind_cmd("$ServRoot/logs", $MasterProcessEnabled,
                               $RepoRoot)
        if $with_valgrind;

    Test::More::diag("starting: @cmd") if $Verbose;

    return spawn(\@cmd, "$ServRoot/logs/stderr.log", pgroup => 1,
                 pdeathsig => !$ENV{TEST_NGINX_NO_CLEAN});
}

# Whether $pidfile holds $pid.
sub _pidfile_is {
    my ($pidfile, $pid) = @_;
    my $content = -f $pidfile ? slurp($pidfile) : undef;
    return defined $content && $content =~ /^\s*(\d+)/ && $1 == $pid;
}

# Start nginx for the current block; returns an error string or undef.
sub start_nginx {
    my $port_busy = port_accepts($ServerAddr, $ServerPort, 0.2);
    if ($port_busy) {
        return "port $ServerPort is already in use by another process "
               . "(set TEST_NGINX_SERVER_PORT to use another one)";
    }

    my $err_pos    = file_size("$ServRoot/logs/error.log");
    my $stderr_pos = file_size("$ServRoot/logs/stderr.log");

    my $pid = _spawn_nginx($UseValgrind);
    $NginxPid = $pid;

    my $pidfile = "$ServRoot/logs/nginx.pid";
    my $deadline = Time::HiRes::time() + $StartTimeout;

    while (1) {
        my $r = waitpid($pid, POSIX::WNOHANG());
        if ($r == $pid) {
            my $status = $?;
            undef $NginxPid;
            return "nginx exited during startup (exit code "
                   . ($status >> 8) . ", signal " . ($status & 127) . ")\n"
                   . _startup_diag($err_pos, $stderr_pos);
        }

        # nginx writes its pid file only after the configuration was
        # applied and the listening sockets were opened.
        return undef if _pidfile_is($pidfile, $pid);

        if (Time::HiRes::time() > $deadline) {
            stop_nginx('startup timeout');
            return "nginx did not start within $StartTimeout seconds\n"
                   . _startup_diag($err_pos, $stderr_pos);
        }
        Time::HiRes::sleep(0.02);
    }
}

# Tails of what nginx wrote to stderr and error.log since the given offsets.
sub _startup_diag {
    my ($err_pos, $stderr_pos) = @_;
    return log_diag("$ServRoot/logs", $stderr_pos, $err_pos);
}

# Stop the nginx child: TERM, wait, then KILL the whole process group.
# In valgrind mode also checks the valgrind logs ("valgrind clean" test).
sub stop_nginx {
    my $name = shift // 'nginx';
    return unless $NginxPid;
    return if $$ != $ParentPid;

    my $pid = $NginxPid;
    undef $NginxPid;

    # Workers (master_on) normally exit with the master; stop_group also
    # makes sure no member of the child's process group survives.
    stop_group($pid, 'TERM', $StopTimeout, sub {
        Test::More::diag("$name - nginx (pid $pid) did not exit after "
                         . "SIGTERM, killing it");
    });

    _check_valgrind($name) if $UseValgrind;
    return;
}

# Look for real problems in the valgrind logs of the nginx just stopped.
sub _check_valgrind {
    my $name = shift;

    # The raw logs are kept for inspection (as *.checked) but out of the
    # next check.
    my $report = valgrind_scan("$ServRoot/logs", 1);

    # A passing "valgrind clean" subtest is only emitted without a fixed
    # plan, so that "plan tests => N" files keep their counts under
    # valgrind; problems are always reported as a failing subtest.
    my $plan = Test::More->builder->has_plan // '';
    if ($report ne '') {
        Test::More::fail("$name - valgrind clean");
        Test::More::diag($report);
    } elsif ($plan eq 'no_plan') {
        Test::More::pass("$name - valgrind clean");
    }
    return;
}

sub _cleanup {
    return if $$ != $ParentPid;
    stop_nginx('cleanup') if $NginxPid;
    while (my $cb = shift @CleanupHandlers) {
        eval { $cb->(); 1 } or warn "cleanup handler failed: $@";
    }
    return;
}

END {
    # Preserve the exit code computed by Test::Builder.
    my $code = $?;
    if ($$ == $ParentPid && !$ENV{TEST_NGINX_NO_CLEAN}) {
        _cleanup();
    }
    $? = $code;
}

# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------

# Turn the block's request sections into a list of "units"; each unit is
# one connection:
#   { packets => [ { value => $bytes, delay_before => $secs }, ... ],
#     methods => [ 'GET', ... ],    # one per expected response
#     count   => number of responses expected on this connection }
sub _build_requests {
    my ($block, $name) = @_;

    my $more = _sec($block, 'more_headers');
    my $middle_delay = _parse_time(_sec($block, 'raw_request_middle_delay'));

    my @units;

    if (defined(my $pipe = _sec($block, 'pipelined_requests'))) {
        die "$name - --- pipelined_requests must be an array\n"
            unless ref $pipe eq 'ARRAY';
        my ($data, @methods) = ('');
        for my $i (0 .. $#$pipe) {
            my $hdrs = ref $more eq 'ARRAY' ? $more->[$i] : $more;
            my $conn = $i == $#$pipe ? 'close' : 'keep-alive';
            my ($req, $meth) = _make_http_request($pipe->[$i], $hdrs, $conn,
                                                  $name);
            $data .= $req->[0]{value};
            push @methods, $meth;
        }
        push @units, { packets => [{ value => $data }],
                       methods => \@methods };
        return \@units;
    }

    if (defined(my $raw = _sec($block, 'raw_request'))) {
        if (ref $raw eq 'ARRAY' && _has_array_expectation($block)) {
            # Several raw requests, one connection each.
            for my $r (@$raw) {
                my @parts = ref $r eq 'ARRAY' ? @$r : ($r);
                push @units, _raw_unit(\@parts, $middle_delay);
            }
        } else {
            # Upstream semantics: an array is one request split into
            # packets (written with separate syscalls).
            my @parts = ref $raw eq 'ARRAY' ? @$raw : ($raw);
            push @units, _raw_unit(\@parts, $middle_delay);
        }
        return \@units;
    }

    my $request = _sec($block, 'request');
    return [] unless defined $request;

    my @reqs = ref $request eq 'ARRAY' ? @$request : ($request);
    for my $i (0 .. $#reqs) {
        my $hdrs = ref $more eq 'ARRAY' ? $more->[$i] : $more;
        my ($packets, $meth) = _make_http_request($reqs[$i], $hdrs, 'close',
                                                  $name, $middle_delay);
        push @units, { packets => $packets, methods => [$meth] };
    }
    return \@units;
}

sub _has_array_expectation {
    my $block = shift;
    for my $s (qw(error_code error_code_like response_body response_body_like
                  response_body_unlike response_headers response_headers_like
                  raw_response_headers_like raw_response_headers_unlike))
    {
        return 1 if ref(scalar $block->$s) eq 'ARRAY';
    }
    return 0;
}

sub _raw_unit {
    my ($parts, $middle_delay) = @_;
    my @packets;
    for my $p (@$parts) {
        my $pk = ref $p eq 'HASH' ? {%$p} : { value => $p };
        $pk->{delay_before} //= $middle_delay if @packets && $middle_delay;
        push @packets, $pk;
    }
    my $first = $packets[0]{value} // '';
    my $meth = $first =~ /^\s*([A-Z]+)\s/ ? $1 : 'GET';
    return { packets => \@packets, methods => [$meth] };
}

# Build an HTTP/1.x request from the "--- request" notation:
#
#     METHOD [URI [HTTP/x.y]]
#     body...
#
# $spec may also be an array ref of pieces (first piece has the request
# line) which are then sent as separate packets; pieces may be hashes
# { value => ..., delay_before => secs }.
# Returns ([packets], $method).
sub _make_http_request {
    my ($spec, $more_headers, $conn, $name, $middle_delay) = @_;

    my @pieces = ref $spec eq 'ARRAY' ? @$spec : ($spec);
    @pieces = map { ref $_ eq 'HASH' ? {%$_} : { value => $_ } } @pieces;
    die "$name - empty --- request\n" unless @pieces;

    my $first = $pieces[0]{value} // '';
    # Leading blank and "# comment" lines are allowed before the request.
    $first =~ s/\A(?:[ \t]*(?:#[^\n]*)?\n)+//;

    my ($line, $body) = $first =~ /\A([^\n]*)\n?(.*)\z/s;
    $line =~ s/\r$//;
    $line =~ /^\s*(\S+)(?:\s+(\S+))?(?:\s+(HTTP\/\d(?:\.\d)?))?\s*$/
        or die "$name - cannot parse request line: \"$line\"\n";
    my ($meth, $uri, $ver) = ($1, $2 // '/', $3 // 'HTTP/1.1');

    # The section's trailing newline is not part of the body (unless the
    # body explicitly ends in CRLF, as in a hand-written chunked body).
    my $last_is_first = @pieces == 1;
    if ($last_is_first) {
        $body =~ s/(?<!\r)\n\z//;
    } else {
        $pieces[-1]{value} =~ s/(?<!\r)\n\z//;
    }
    my $body_len = length($body);
    $body_len += length($_->{value} // '') for @pieces[1 .. $#pieces];

    my @extra;
    my %have;
    if (defined $more_headers) {
        for my $h (split /\n/, $more_headers) {
            $h =~ s/^\s+|\s+$//g;
            next unless length $h;
            push @extra, $h;
            $have{lc $1} = 1 if $h =~ /^([^:\s]+)\s*:/;
        }
    }

    my $head = "$meth $uri $ver\r\n";
    $head .= "Host: $ServerName\r\n" unless $have{host};
    $head .= "Connection: $conn\r\n" unless $have{connection};
    $head .= "$_\r\n" for @extra;
    if (!$have{'content-length'} && !$have{'transfer-encoding'}
        && ($body_len > 0 || $meth =~ /^(?:POST|PUT|PATCH)$/))
    {
        $head .= "Content-Length: $body_len\r\n";
    }
    $head .= "\r\n";

    my @packets = ({ %{ $pieces[0] }, value => $head . $body });
    for my $p (@pieces[1 .. $#pieces]) {
        $p->{delay_before} //= $middle_delay if $middle_delay;
        push @packets, $p;
    }
    return (\@packets, $meth);
}

# Send all request units of one repetition and check the responses.
sub _run_requests {
    my ($block, $name, $units, $rep, $timeout) = @_;

    my $req_idx = 0;
    for my $unit (@$units) {
        my ($raw, $err, $timed_out) = _send_and_receive($block, $unit,
                                                        $timeout);
        if ($err) {
            Test::More::fail("$name - $err");
        }
        if ($timed_out && !defined $block->abort) {
            Test::More::fail("ERROR: client socket timed out - $name");
        }

        my $rest = $raw // '';
        for my $meth (@{ $unit->{methods} }) {
            my $res;
            ($res, $rest) = _parse_response($rest, $meth,
                                            defined $block->http09);
            _check_response($block, $name, $res, $req_idx, $rep)
                unless defined $block->ignore_response;
            $req_idx++;
        }
    }
    return;
}

# One connection: write the packets, read until EOF.  The timeout applies
# between two I/O events, as upstream documents.
# Returns ($raw_response, $error, $timed_out).
sub _send_and_receive {
    my ($block, $unit, $timeout) = @_;

    local $SIG{PIPE} = 'IGNORE';

    my $sock = IO::Socket::INET->new(
        PeerAddr => $ServerAddr,
        PeerPort => $ServerPortForClient,
        Proto    => 'tcp',
        Timeout  => $timeout,
    ) or return (undef, "failed to connect to $ServerAddr:"
                        . "$ServerPortForClient: $!", 0);
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);

    for my $p (@{ $unit->{packets} }) {
        if (my $d = _parse_time($p->{delay_before})) {
            Time::HiRes::sleep($d);
        }
        # nginx may legitimately close early (e.g. 413): write_all then
        # stops writing and whatever response it sent is read below.
        if (!write_all($sock, $sel, $p->{value} // '', $timeout)) {
            return (scalar(drain($sock, $sel, $timeout)), undef, 1);
        }
    }

    if (defined(my $how = _sec($block, 'shutdown'))) {
        $how =~ s/\s+//g;
        shutdown($sock, length $how ? $how : 1);
    }

    my ($resp, $timed_out) = drain($sock, $sel, $timeout);
    close $sock;
    return ($resp, undef, $timed_out);
}

# Parse one HTTP/1.x response off the front of $raw.
# Returns ($res, $rest) where $res = { status, proto, header_text,
# headers => [[name, value], ...], body }.
sub _parse_response {
    my ($raw, $meth, $http09) = @_;

    my %res = (status => undef, headers => [], header_text => '',
               body => '');

    if ($http09 || $raw !~ m{\AHTTP/\d}) {
        $res{body} = $raw;
        return (\%res, '');
    }

    while (1) {
        my $end = index($raw, "\r\n\r\n");
        my $sep_len = 4;
        if ($end < 0) {
            $end = index($raw, "\n\n");
            $sep_len = 2;
        }
        if ($end < 0) {
            # Truncated headers: take what we have.
            $end = length $raw;
            $sep_len = 0;
        }

        my $head = substr($raw, 0, $end);
        $raw = substr($raw, $end + $sep_len);

        my ($status_line, @lines) = split /\r?\n/, $head;
        %res = (status => undef, headers => [], header_text => "$head\r\n",
                body => '');
        if ($status_line =~ m{^(HTTP/\d\.\d)\s+(\d{3})}) {
            @res{qw(proto status)} = ($1, $2);
        }
        for my $l (@lines) {
            if ($l =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/) {
                push @{ $res{headers} }, [$1, $2];
            } elsif ($l =~ /^\s+(.*?)\s*$/ && @{ $res{headers} }) {
                $res{headers}[-1][1] .= " $1";    # obsolete line folding
            }
        }

        # Skip interim 1xx responses (e.g. 100 Continue); after a 101
        # the connection speaks another protocol.
        last unless defined $res{status} && $res{status} =~ /^1/
                    && $res{status} != 101 && $raw =~ m{\AHTTP/\d};
    }

    my $status = $res{status} // 0;
    my $te = _header(\%res, 'Transfer-Encoding') // '';
    my $cl = _header(\%res, 'Content-Length');

    if ($status == 101) {
        # the upgraded stream (WebSocket frames) is the body, as
        # HTTP::Response->parse gives it
        $res{body} = $raw;
        $raw = '';
    } elsif ($meth eq 'HEAD' || $status =~ /^(?:1\d\d|204|304)$/) {
        # no body
    } elsif ($te =~ /chunked/i) {
        ($res{body}, $raw, $res{chunk_error}) = _dechunk($raw);
    } elsif (defined $cl && $cl =~ /^\d+$/) {
        $res{body} = substr($raw, 0, $cl);
        $raw = length($raw) > $cl ? substr($raw, $cl) : '';
    } else {
        $res{body} = $raw;
        $raw = '';
    }

    return (\%res, $raw);
}

# Decode a chunked body.  Returns ($body, $rest, $error).
sub _dechunk {
    my $raw = shift;
    my $body = '';
    while (1) {
        if ($raw !~ s/\A([0-9a-fA-F]+)[^\r\n]*\r?\n//) {
            return ($body, $raw, 'bad or truncated chunk size line');
        }
        my $size = hex $1;
        if ($size == 0) {
            # Trailers (if any) up to the final empty line.
            while ($raw =~ s/\A([^\r\n]*)\r?\n//) {
                last if $1 eq '';
            }
            return ($body, $raw, undef);
        }
        if (length($raw) < $size) {
            $body .= $raw;
            return ($body, '', 'truncated chunk data');
        }
        $body .= substr($raw, 0, $size);
        $raw = substr($raw, $size);
        $raw =~ s/\A\r?\n//;
    }
}

# Case-insensitive header lookup; repeated headers are joined with ", ".
sub _header {
    my ($res, $name) = @_;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name }
            @{ $res->{headers} };
    return @v ? join(', ', @v) : undef;
}

# ---------------------------------------------------------------------------
# Response checks
# ---------------------------------------------------------------------------

# Pick the expectation for request #$idx: arrays are indexed, scalars
# apply to every request.
sub _expect {
    my ($block, $section, $idx) = @_;
    my $v = _sec($block, $section);
    return undef unless defined $v;
    return $v->[$idx] if ref $v eq 'ARRAY';
    return $v;
}

sub _check_response {
    my ($block, $name, $res, $idx, $rep) = @_;
    my $tag = "(repeated req $rep, req $idx)";

    # status code
    my $got_status = $res->{status} // '';
    if (defined(my $like = _expect($block, 'error_code_like', $idx))) {
        $like = _trim($like) unless ref $like;
        Test::More::like($got_status, ref $like ? $like : qr/$like/,
                         "$name - status code ok");
    } else {
        my $expected = _expect($block, 'error_code', $idx);
        $expected = defined $expected ? _trim($expected) : 200;
        Test::More::is($got_status, $expected, "$name - status code ok");
    }

    if (defined $res->{chunk_error}) {
        Test::More::diag("$name - response: $res->{chunk_error}");
    }

    # headers
    if (defined(my $exp = _expect($block, 'response_headers', $idx))) {
        for my $h (_header_lines($exp)) {
            my ($key, $val, $absent) = @$h;
            my $got = _header($res, $key);
            if ($absent) {
                Test::More::ok(!defined $got,
                               "$name - header $key not present")
                    or Test::More::diag("got: $key: $got");
            } else {
                Test::More::is($got // '', $val, "$name - header $key ok");
            }
        }
    }

    if (defined(my $exp = _expect($block, 'response_headers_like', $idx))) {
        for my $h (_header_lines($exp)) {
            my ($key, $val, $absent) = @$h;
            my $got = _header($res, $key);
            if ($absent) {
                Test::More::ok(!defined $got,
                               "$name - header $key not present");
            } else {
                my $re = ref $val eq 'Regexp' ? $val : qr/^(?:$val)$/s;
                Test::More::like($got // '', $re,
                                 "$name - header $key like ok");
            }
        }
    }

    if (defined(my $p = _expect($block, 'raw_response_headers_like', $idx))) {
        $p = _chomp($p) unless ref $p;
        Test::More::like($res->{header_text}, ref $p ? $p : qr/$p/s,
                         "$name - raw resp headers like ok $tag");
    }
    if (defined(my $p = _expect($block, 'raw_response_headers_unlike',
                                $idx)))
    {
        $p = _chomp($p) unless ref $p;
        Test::More::unlike($res->{header_text}, ref $p ? $p : qr/$p/s,
                           "$name - raw resp headers unlike ok $tag");
    }

    # body
    my $body = _apply_body_filters($block, $res->{body}, $idx);

    if (defined(my $exp = _expect($block, 'response_body', $idx))) {
        is_str($body, $exp, "$name - response_body - response is expected "
                            . $tag);
    }
    if (defined(my $p = _expect($block, 'response_body_like', $idx))) {
        $p = _chomp($p) unless ref $p;
        Test::More::like($body, ref $p ? $p : qr/$p/s,
                         "$name - response_body_like - response is expected "
                         . $tag);
    }
    if (defined(my $p = _expect($block, 'response_body_unlike', $idx))) {
        $p = _chomp($p) unless ref $p;
        Test::More::unlike($body, ref $p ? $p : qr/$p/s,
                           "$name - response_body_unlike - response is "
                           . "expected $tag");
    }

    for my $cb (@ResponseBodyChecks) {
        $cb->($block, $body, $idx, $rep, 0);
    }
    return;
}

# "Name: value" lines (or a hash ref) -> ([name, value, absent?], ...)
sub _header_lines {
    my $spec = shift;
    if (ref $spec eq 'HASH') {
        return map { [$_, $spec->{$_}, 0] } sort keys %$spec;
    }
    my @out;
    for my $l (split /\n/, $spec) {
        $l =~ s/^\s+|\s+$//g;
        next unless length $l;
        if ($l =~ /^!\s*(\S+)$/) {
            push @out, [$1, undef, 1];
        } elsif ($l =~ /^([^:\s]+)\s*:\s*(.*)$/) {
            push @out, [$1, $2, 0];
        } else {
            die "bad header line in expectation: \"$l\"\n";
        }
    }
    return @out;
}

my %BodyFilters = (
    length  => sub { length $_[0] },
    uc      => sub { uc $_[0] },
    lc      => sub { lc $_[0] },
    ucfirst => sub { ucfirst $_[0] },
    lcfirst => sub { lcfirst $_[0] },
    md5_hex => sub { require Digest::MD5; Digest::MD5::md5_hex($_[0]) },
    sha1_hex => sub { require Digest::SHA; Digest::SHA::sha1_hex($_[0]) },
);

# "--- response_body_filters": names, code refs, arrays of those, or an
# array of arrays (one filter list per request).
sub _apply_body_filters {
    my ($block, $body, $idx) = @_;
    my $spec = _sec($block, 'response_body_filters');
    return $body unless defined $spec;

    my @filters;
    if (ref $spec eq 'ARRAY') {
        @filters = ref $spec->[0] eq 'ARRAY' ? @{ $spec->[$idx] || [] }
                                             : @$spec;
    } elsif (ref $spec eq 'CODE') {
        @filters = ($spec);
    } else {
        @filters = split ' ', $spec;
    }

    for my $f (@filters) {
        my $code = ref $f eq 'CODE' ? $f : $BodyFilters{$f}
            or die "unknown response_body_filters filter: $f\n";
        $body = $code->($body);
    }
    return $body;
}

# ---------------------------------------------------------------------------
# Log checks
# ---------------------------------------------------------------------------

# Patterns of an error_log-like section: each line is a literal substring;
# with "eval" an array of strings and qr// regexes (or a single qr//).
sub _log_patterns {
    my $v = shift;
    return () unless defined $v;
    return ($v) if ref $v eq 'Regexp';
    return grep { ref $_ || length $_ } @$v if ref $v eq 'ARRAY';
    return grep { length $_ } map { (my $l = $_) =~ s/\s+$//; $l }
           split /\n/, $v;
}

sub _match_line {
    my ($pat, $lines) = @_;
    for my $l (@$lines) {
        if (ref $pat eq 'Regexp' ? $l =~ $pat : index($l, $pat) >= 0) {
            return $l;
        }
    }
    return undef;
}

# $kind is "error_log" or "access_log"; checks "--- $kind" and
# "--- no_$kind", one test per pattern.
sub _check_log_patterns {
    my ($block, $name, $log, $kind, $file, $rep) = @_;

    my @lines = split /\n/, $log;

    for my $pat (_log_patterns(_sec($block, $kind))) {
        my $line = _match_line($pat, \@lines);
        if (defined $line) {
            Test::More::pass("$name - pattern \"$pat\" matches a line in "
                             . "$file (req $rep)");
        } else {
            Test::More::fail("$name - pattern \"$pat\" should match a line "
                             . "in $file (req $rep)");
            Test::More::diag("$file (this block, tail):\n"
                             . last_lines($log, 30));
        }
    }

    for my $pat (_log_patterns(_sec($block, "no_$kind"))) {
        my $line = _match_line($pat, \@lines);
        if (defined $line) {
            Test::More::fail("$name - pattern \"$pat\" should not match any "
                             . "line in $file but matches line \"$line\" "
                             . "(req $rep)");
        } else {
            Test::More::pass("$name - pattern \"$pat\" does not match a line"
                             . " in $file (req $rep)");
        }
    }
    return;
}

# "--- grep_error_log" + "--- grep_error_log_out": all matches of the
# pattern in the error log, each followed by "\n", compared to the output.
sub _check_grep_error_log {
    my ($block, $name, $log, $rep) = @_;
    my $pat = _sec($block, 'grep_error_log');
    return unless defined $pat;

    my $expected = _sec($block, 'grep_error_log_out');
    $expected = $expected->[$rep] if ref $expected eq 'ARRAY';
    $expected //= '';

    $pat = _chomp($pat) unless ref $pat;
    my $out = '';
    for my $line (split /\n/, $log) {
        if (ref $pat eq 'Regexp') {
            while ($line =~ /$pat/g) {
                $out .= "$&\n";
            }
        } else {
            my $pos = 0;
            while ((my $i = index($line, $pat, $pos)) >= 0) {
                $out .= "$pat\n";
                $pos = $i + length $pat;
            }
        }
    }
    is_str($out, $expected, "$name - grep_error_log_out (req $rep)");
    return;
}

# Upstream prints a warning for [alert]/[crit]/[emerg] lines that the
# block does not mention; so do we (not a test failure).
sub _warn_alerts {
    my ($block, $name, $log) = @_;
    my @known = (_log_patterns(_sec($block, 'error_log')),
                 _log_patterns(_sec($block, 'no_error_log')));
    for my $line (split /\n/, $log) {
        next unless $line =~ /\[(?:alert|crit|emerg)\]/;
        next if grep { ref $_ eq 'Regexp' ? $line =~ $_
                                          : index($line, $_) >= 0 } @known;
        warn "WARNING: $name - $line\n";
    }
    return;
}

# ---------------------------------------------------------------------------
# Skipping
# ---------------------------------------------------------------------------

sub _skip_info {
    my ($block, $name) = @_;

    if (defined(my $s = _sec($block, 'skip_nginx'))) {
        my ($n, $op, $ver) = $s =~ /^\s*(\d+)\s*:\s*([<>]=?|==?)\s*(\S+)/
            or die "$name - bad --- skip_nginx: $s\n";
        return ($n, "nginx version $op $ver")
            if _version_cmp(nginx_version(), $op, $ver);
    }

    if (defined(my $s = _sec($block, 'skip_nginx2'))) {
        my ($n, $op1, $v1, $conj, $op2, $v2) = $s =~
            /^\s*(\d+)\s*:\s*([<>]=?|==?)\s*(\S+)\s+(and|or)\s+([<>]=?|==?)\s*(\S+)/
            or die "$name - bad --- skip_nginx2: $s\n";
        my $a = _version_cmp(nginx_version(), $op1, $v1);
        my $b = _version_cmp(nginx_version(), $op2, $v2);
        return ($n, "nginx version $op1 $v1 $conj $op2 $v2")
            if $conj eq 'and' ? ($a && $b) : ($a || $b);
    }

    if (defined(my $s = _sec($block, 'skip_eval'))) {
        my ($n, $code) = $s =~ /^\s*(\d+)\s*:\s*(.*)$/s
            or die "$name - bad --- skip_eval: $s\n";
        my $r = eval "package main; no strict; $code";    ## no critic
        die "$name - --- skip_eval failed: $@" if $@;
        return ($n, "skip_eval") if $r;
    }

    return (0, undef);
}

sub _version_num {
    my @p = split /\./, shift;
    return sprintf '%03d%03d%03d%03d', map { $_ // 0 } @p[0 .. 3];
}

sub _version_cmp {
    my ($have, $op, $want) = @_;
    my ($a, $b) = (_version_num($have), _version_num($want));
    return $op eq '<'  ? $a lt $b
         : $op eq '<=' ? $a le $b
         : $op eq '>'  ? $a gt $b
         : $op eq '>=' ? $a ge $b
         :               $a eq $b;
}

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

# Section value with $TEST_NGINX_* environment variables expanded.
sub _sec {
    my ($block, $section) = @_;
    my $v = $block->$section;    # scalar context: first value
    return expand_env($v);
}

# Replace $TEST_NGINX_FOO with $ENV{TEST_NGINX_FOO} in strings (also
# inside array/hash refs); unset variables are left untouched.
sub expand_env {
    my $v = shift;
    return $v unless defined $v;
    if (ref $v eq 'ARRAY') {
        return [map { expand_env($_) } @$v];
    }
    if (ref $v eq 'HASH') {
        return { map { $_ => expand_env($v->{$_}) } keys %$v };
    }
    return $v if ref $v;    # Regexp, CODE, ...
    return t::CsqProc::expand_env($v);
}

# "1.5", "2s", "50ms" -> seconds
sub _parse_time {
    my $v = shift;
    return undef unless defined $v;
    $v =~ s/^\s+|\s+$//g;
    return undef unless length $v;
    return $1 / 1000 if $v =~ /^(\d+(?:\.\d+)?)\s*ms$/;
    return $1        if $v =~ /^(\d+(?:\.\d+)?)\s*s?$/;
    die "bad time value: \"$v\"\n";
}

sub _trim {
    my $s = shift;
    $s =~ s/^\s+|\s+$//g;
    return $s;
}

sub _chomp {
    my $s = shift;
    chomp $s;
    return $s;
}

# Wait until the files stop growing: no change for $SettleQuiet seconds
# (at most $SettleMax seconds in total).
our $SettleQuiet = $ENV{TEST_NGINX_SLEEP} // 0.02;
our $SettleMax   = 0.5;

sub _settle_files {
    my @files = @_;
    my $deadline = Time::HiRes::time() + $SettleMax * $TimeoutFactor;
    my $sizes = join ',', map { file_size($_) } @files;
    my $quiet_since = Time::HiRes::time();
    while (Time::HiRes::time() < $deadline) {
        Time::HiRes::sleep($SettleQuiet / 2);
        my $now = join ',', map { file_size($_) } @files;
        if ($now ne $sizes) {
            $sizes = $now;
            $quiet_since = Time::HiRes::time();
        } elsif (Time::HiRes::time() - $quiet_since >= $SettleQuiet) {
            last;
        }
    }
    return;
}

sub _describe_mismatch {
    my ($got, $expected) = @_;
    return "     got: undef\nexpected: " . _q($expected) if !defined $got;
    return "     got: " . _q($got) . "\nexpected: undef" if !defined $expected;

    if (!$ENV{TEST_SHOW_NO_DIFFS}
        && ($got =~ /\n./s || $expected =~ /\n./s)
        && eval { require Text::Diff; 1 })
    {
        return "--- expected\n+++ got\n"
               . Text::Diff::diff(\$expected, \$got, { STYLE => 'Unified' });
    }
    return "     got: " . _q($got) . "\nexpected: " . _q($expected);
}

sub _q {
    my $s = shift;
    return 'undef' unless defined $s;
    (my $e = $s) =~ s/([^\x20-\x7e])/sprintf '\\x%02x', ord $1/ge;
    $e =~ s/\\x0a/\\n/g;
    return "\"$e\"";
}

1;
__END__

=head1 NAME

Test::Nginx::Socket - minimal local implementation of the Test::Nginx
block format for HTTP/1.x nginx module tests

=head1 SYNOPSIS

    use Test::Nginx::Socket 'no_plan';
    run_tests();

    __DATA__

    === TEST 1: hello
    --- config
        location = /t { return 200 "hello\n"; }
    --- request
    GET /t
    --- response_body
    hello
    --- no_error_log
    [error]

=head1 DESCRIPTION

Written from the documented behaviour of openresty/test-nginx (no code
taken from it), on top of Test::Base, so Test::Base filters (eval, chomp,
...) and the ONLY / SKIP / LAST meta sections work as usual.  Subclass it
the OpenResty way:

    package t::MyTest;
    use Test::Nginx::Socket -Base;
    add_block_preprocessor(sub { ... });
    1;

=head2 Sections

config, http_config, main_config, post_main_config, server_name,
request (a string; an array of requests; an array of packets
C<[["POST /t\nhe", {value => "llo", delay_before => 0.1}]]>),
raw_request, pipelined_requests, more_headers (string or per-request
array), raw_request_middle_delay, init, wait, timeout (C<1.5>, C<2s>,
C<50ms>), abort, shutdown, ignore_response, http09, error_code,
error_code_like, response_headers (C<!Name> = absent),
response_headers_like, raw_response_headers_like/unlike, response_body,
response_body_like, response_body_unlike, response_body_filters,
error_log, no_error_log, access_log, no_access_log, grep_error_log,
grep_error_log_out, log_level, user_files, must_die, skip_nginx,
skip_nginx2, skip_eval, todo.

C<$TEST_NGINX_*> variables are expanded in every section value (unset
ones are left as they are).

=head2 Differences from upstream

=over

=item * raw_request given as an array is one request split into packets
(as upstream documents), unless an expectation section (error_code,
response_body, ...) is also an array: then each element is a separate
request on its own connection.

=item * must_die blocks run once (not repeat_each times) and always count
one subtest ("nginx died as expected") plus one per error_log /
no_error_log pattern, checked against nginx's stderr and error.log.

=item * Under TEST_NGINX_USE_VALGRIND each block's nginx is stopped at the
end of the block and its valgrind logs are scanned; problems fail a
"valgrind clean" subtest.  A passing "valgrind clean" subtest is only
emitted with C<no_plan>, so fixed plans keep their counts.

=item * nginx is always restarted for every block (no HUP reload mode),
runs in the foreground as a child of the test process, and its stderr
goes to F<t/servroot/logs/stderr.log>.

=item * A process-wide lock on F<t/servroot.lock> serializes concurrent
runs (prove -j, several shells) that share t/servroot and the port.

=item * Not supported: http2/http3/curl, udp_*/tcp_* embedded servers,
stap, HUP reload mode, leak-check and benchmark modes,
shutdown_error_log, Test::LongString output (no_long_string is a no-op).

=back

=head2 Environment

TEST_NGINX_BINARY (default: nginx in PATH, then /usr/sbin/nginx),
TEST_NGINX_SERVER_PORT / TEST_NGINX_PORT (default 1984),
TEST_NGINX_LOAD_MODULES (space separated .so paths -> load_module),
TEST_NGINX_USE_VALGRIND, TEST_NGINX_NO_SHUFFLE, TEST_NGINX_NO_CLEAN,
TEST_NGINX_TIMEOUT (default 3), TEST_NGINX_START_TIMEOUT (5, or 30 under
valgrind), TEST_NGINX_SERVROOT, TEST_NGINX_SLEEP (log settle time,
default 0.02), TEST_NGINX_LOCK_TIMEOUT, TEST_NGINX_VERBOSE.

Set for the tests: TEST_NGINX_SERVER_PORT, TEST_NGINX_HTML_DIR,
TEST_NGINX_SERVROOT.

=cut
