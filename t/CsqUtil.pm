package t::CsqUtil;

# Helpers shared by the block tests (through t::Csq) and by standalone
# scenario tests.  Deliberately independent of Test::Nginx: only core Perl
# modules are used.
#
#   Redis:  redis_start redis_stop redis_restart redis_pause redis_resume
#           redis_cmd redis_port redis_socket redis_pid redis_status
#   nginx:  nginx_start nginx_stop nginx_reload nginx_port nginx_pid
#           nginx_prefix nginx_worker_pids nginx_error_log
#           nginx_error_log_size valgrind_report
#   HTTP:   http_get http_request http_error
#   misc:   free_port expand_env
#
# The private helpers in @EXPORT_OK (file, process, lock, socket and
# valgrind helpers) are also the implementation used by the block test
# runner (t/runner/Test/Nginx/Socket.pm).
#
# Scenario test example:
#
#     use Test::More;
#     use t::CsqUtil;
#     redis_start();
#     nginx_start(workers => 2, conf => <<'_EOC_');
#         location = /t { return 200 "ok\n"; }
#     _EOC_
#     my ($status, $headers, $body) = http_get('/t');
#     is $status, 200;
#     nginx_stop();
#     is valgrind_report(), '', 'valgrind clean';
#     done_testing;

use strict;
use warnings;

use Exporter 'import';
use Cwd ();
use Fcntl ();
use File::Path ();
use File::Temp ();
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

our @EXPORT = qw(
    redis_start redis_stop redis_restart redis_pause redis_resume
    redis_cmd redis_port redis_socket redis_pid redis_status
    nginx_start nginx_stop nginx_reload nginx_port nginx_pid nginx_prefix
    nginx_worker_pids nginx_error_log nginx_error_log_size valgrind_report
    nginx_twin nginx_twin_stop
    http_get http_request http_error
    free_port expand_env
);

# Shared with t/runner/Test/Nginx/Socket.pm; not part of the public API.
our @EXPORT_OK = qw(
    _find_nginx _port_accepts _wait_exit _kill_wait _stop_group _spawn
    _set_pdeathsig _lock_prefix _load_module_conf _main_conf
    _valgrind_cmd _valgrind_scan
    _valgrind_problems _log_diag _write_all _drain
    _slurp _read_from _file_size _write_file _tail _last_lines
);

our $RepoRoot     = Cwd::cwd();
our $UseValgrind  = $ENV{TEST_NGINX_USE_VALGRIND} || 0;
our $NginxBinary  = $ENV{TEST_NGINX_BINARY} || _find_nginx();
our $RedisServer  = $ENV{TEST_CSQ_REDIS_SERVER} || 'redis-server';

# Timeout (seconds) of redis_cmd(); "local $t::CsqUtil::RedisTimeout = 1"
# to shorten it.
our $RedisTimeout = 5;

# Default timeout (seconds) of http_request(); multiplied under valgrind.
our $HttpTimeout  = 10;
our $TimeoutFactor = $UseValgrind ? 5 : 1;

my $ParentPid = $$;

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------

my %Redis = (pid => undef, port => undef, socket => undef, dir => undef,
             paused => 0);

# Start a private redis-server on 127.0.0.1 (free port unless port => N)
# that also listens on a unix socket.  Returns the port; also sets
# $ENV{TEST_NGINX_REDIS_PORT} and $ENV{TEST_NGINX_REDIS_SOCKET} (socket
# path).  Extra server arguments: args => [...].  Dies if the server does
# not answer PING within a few seconds.
sub redis_start {
    my %opt = @_;

    return $Redis{port} if redis_status() ne 'stopped';

    my $port = $opt{port} // $Redis{port} // free_port();
    $Redis{dir} //= File::Temp::tempdir('csq-redis-XXXXXX', TMPDIR => 1,
                                        CLEANUP => 1);
    # nginx workers may run as "nobody": they must reach the unix socket.
    chmod 0755, $Redis{dir};
    my $socket = "$Redis{dir}/redis.sock";

    my @cmd = ($RedisServer,
               '--port', $port, '--bind', '127.0.0.1',
               '--unixsocket', $socket, '--unixsocketperm', '777',
               '--save', '', '--appendonly', 'no',
               '--dir', $Redis{dir}, '--daemonize', 'no',
               '--logfile', "$Redis{dir}/redis.log",
               @{ $opt{args} || [] });

    my $pid = _spawn(\@cmd, "$Redis{dir}/redis.stdout", pdeathsig => 1);

    @Redis{qw(pid port paused socket)} = ($pid, $port, 0, $socket);
    $ENV{TEST_NGINX_REDIS_PORT} = $port;
    $ENV{TEST_NGINX_REDIS_SOCKET} = $socket;

    my $deadline = Time::HiRes::time() + ($opt{timeout} // 10);
    while (1) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            undef $Redis{pid};
            die "redis-server exited during startup (status $?)\n"
                . _tail("$Redis{dir}/redis.log", 10)
                . _tail("$Redis{dir}/redis.stdout", 10);
        }
        my $pong = eval {
            local $RedisTimeout = 0.5;
            redis_cmd('PING');
        };
        return $port if defined $pong && $pong eq 'PONG';
        if (Time::HiRes::time() > $deadline) {
            _kill_wait($pid, 'KILL', 2);
            undef $Redis{pid};
            die "redis-server did not answer PING on port $port\n"
                . _tail("$Redis{dir}/redis.log", 10);
        }
        Time::HiRes::sleep(0.02);
    }
}

# Stop the server (SHUTDOWN NOSAVE, then TERM/KILL if needed).  The port
# is remembered for redis_restart().
sub redis_stop {
    my $pid = $Redis{pid};
    return unless $pid;
    return if $$ != $ParentPid;

    kill 'CONT', $pid if $Redis{paused};
    $Redis{paused} = 0;

    eval {
        local $RedisTimeout = 1;
        redis_cmd('SHUTDOWN', 'NOSAVE');
    };    # the server closes the connection: an error here is expected

    if (!_wait_exit($pid, 5)) {
        _kill_wait($pid, 'TERM', 3) or _kill_wait($pid, 'KILL', 3);
    }
    undef $Redis{pid};
    return;
}

sub redis_restart {
    my %opt = @_;
    my $port = $Redis{port};
    redis_stop();
    return redis_start(%opt, port => $port);
}

# Freeze / unfreeze the server (SIGSTOP / SIGCONT): connections are still
# accepted by the kernel but nothing is answered.
sub redis_pause {
    return unless $Redis{pid};
    kill 'STOP', $Redis{pid};
    $Redis{paused} = 1;
    return;
}

sub redis_resume {
    return unless $Redis{pid};
    kill 'CONT', $Redis{pid};
    $Redis{paused} = 0;
    return;
}

sub redis_port   { return $Redis{port} }
sub redis_socket { return $Redis{socket} }
sub redis_pid  { return $Redis{pid} }

# 'running', 'paused' or 'stopped'
sub redis_status {
    return 'stopped' unless $Redis{pid};
    if (waitpid($Redis{pid}, POSIX::WNOHANG()) == $Redis{pid}) {
        undef $Redis{pid};    # it died on its own
        return 'stopped';
    }
    return $Redis{paused} ? 'paused' : 'running';
}

# Send one command, return its reply: a string for simple/bulk replies,
# a number for integers, undef for nil, an array ref for arrays.  Dies on
# connection problems, timeouts ($RedisTimeout) and on error replies
# ("redis error: ERR ...").
sub redis_cmd {
    my @args = @_;
    die "redis_cmd: no command given\n" unless @args;

    my $port = $Redis{port} // $ENV{TEST_NGINX_REDIS_PORT}
        or die "redis_cmd: redis is not started\n";

    my $sock = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1',
        PeerPort => $port,
        Proto    => 'tcp',
        Timeout  => $RedisTimeout,
    ) or die "redis_cmd: cannot connect to 127.0.0.1:$port: $!\n";

    my $req = '*' . scalar(@args) . "\r\n";
    for my $arg (@args) {
        $arg //= '';
        $req .= '$' . length($arg) . "\r\n$arg\r\n";
    }

    local $SIG{PIPE} = 'IGNORE';
    my $deadline = Time::HiRes::time() + $RedisTimeout;
    my $sel = IO::Select->new($sock);

    while (length $req) {
        my $left = $deadline - Time::HiRes::time();
        die "redis_cmd: timeout sending $args[0]\n"
            if $left <= 0 || !$sel->can_write($left);
        my $n = syswrite($sock, $req);
        die "redis_cmd: write failed: $!\n" unless defined $n;
        substr($req, 0, $n, '');
    }

    my $buf = '';
    my $reply = _resp_parse($sock, $sel, \$buf, $deadline, $args[0]);
    close $sock;
    return $reply;
}

# Read more data into $$buf (dies on EOF / timeout).
sub _resp_fill {
    my ($sock, $sel, $buf, $deadline, $what) = @_;
    my $left = $deadline - Time::HiRes::time();
    die "redis_cmd: timeout waiting for the reply to $what\n"
        if $left <= 0 || !$sel->can_read($left);
    my $n = sysread($sock, $$buf, 65536, length $$buf);
    die "redis_cmd: connection closed while reading the reply to $what\n"
        unless $n;
    return;
}

sub _resp_parse {
    my ($sock, $sel, $buf, $deadline, $what) = @_;

    my $nl;
    while (($nl = index($$buf, "\r\n")) < 0) {
        _resp_fill($sock, $sel, $buf, $deadline, $what);
    }
    my $line = substr($$buf, 0, $nl);
    substr($$buf, 0, $nl + 2, '');

    my ($type, $rest) = (substr($line, 0, 1), substr($line, 1));

    return $rest if $type eq '+';
    die "redis error: $rest\n" if $type eq '-';
    return $rest + 0 if $type eq ':';

    if ($type eq '$') {
        return undef if $rest < 0;
        while (length($$buf) < $rest + 2) {
            _resp_fill($sock, $sel, $buf, $deadline, $what);
        }
        my $data = substr($$buf, 0, $rest);
        substr($$buf, 0, $rest + 2, '');
        return $data;
    }

    if ($type eq '*') {
        return undef if $rest < 0;
        return [map { _resp_parse($sock, $sel, $buf, $deadline, $what) }
                1 .. $rest];
    }

    die "redis_cmd: unexpected reply line \"$line\"\n";
}

# ---------------------------------------------------------------------------
# nginx for scenario tests
# ---------------------------------------------------------------------------

my %Nginx = (pid => undef, port => undef, prefix => undef, opts => undef,
             valgrind => 0);

# nginx_start(%opts) starts an nginx child process (daemon off) and waits
# until it serves.  Options:
#   conf        => contents of the server {} block (like "--- config")
#   http_config => extra http {} level directives
#   main_config => extra main-level directives
#   full_conf   => a complete nginx.conf instead of the generated one
#                  (load_module lines are still prepended)
#   workers     => worker_processes (default 1; > 1 turns the master on)
#   master      => force master_process on/off
#   worker_connections => default 1024
#   log_level   => error_log level (default debug)
#   port        => listen port (default: a free port); also available to
#                  configs as $TEST_NGINX_SCN_PORT
#   prefix      => prefix dir (default t/servroot-scn under the repo)
#   env         => [names] for "env NAME;" lines
#   valgrind    => override TEST_NGINX_USE_VALGRIND
#   timeout     => seconds to wait for startup
# $TEST_NGINX_* variables in all config texts are expanded.  Dies if nginx
# does not start (the message includes the tail of its logs).
sub nginx_start {
    my %o = @_;

    nginx_stop() if $Nginx{pid};

    my $prefix = $o{prefix} // "$RepoRoot/t/servroot-scn";
    $prefix =~ s{/+$}{};
    _lock_prefix($prefix);
    File::Path::remove_tree($prefix) if -d $prefix;
    File::Path::make_path("$prefix/conf", "$prefix/logs", "$prefix/html");

    my $port = $o{port} // free_port();
    $ENV{TEST_NGINX_SCN_PORT} = $port;

    my $valgrind = $o{valgrind} // $UseValgrind;
    @Nginx{qw(prefix port opts valgrind)} = ($prefix, $port, {%o}, $valgrind);

    _write_file("$prefix/conf/nginx.conf", _scn_conf(%o, port => $port));

    my $master = _scn_master(%o);
    my @cmd = ($NginxBinary, '-p', "$prefix/", '-c', 'conf/nginx.conf');
    unshift @cmd, _valgrind_cmd("$prefix/logs", 1, $RepoRoot) if $valgrind;

    # own process group: workers die with it
    my $pid = _spawn(\@cmd, "$prefix/logs/stderr.log", pgroup => 1,
                     pdeathsig => !$ENV{TEST_NGINX_NO_CLEAN});
    $Nginx{pid} = $pid;

    my $limit = $o{timeout} // ($valgrind ? 30 : 5);
    my $deadline = Time::HiRes::time() + $limit;
    while (1) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            my $st = $?;
            undef $Nginx{pid};
            die "nginx exited during startup (exit code " . ($st >> 8)
                . ")\n" . _nginx_diag();
        }
        last if _port_accepts('127.0.0.1', $port, 0.2);
        if (Time::HiRes::time() > $deadline) {
            nginx_stop();
            die "nginx did not start within $limit seconds\n"
                . _nginx_diag();
        }
        Time::HiRes::sleep(0.02);
    }

    # With a master process the workers may still be starting; give them
    # a moment so that the first requests are not all served by one.
    Time::HiRes::sleep($valgrind ? 1 : 0.1) if $master;
    return $port;
}

sub _scn_master {
    my %o = @_;
    return $o{master} ? 1 : 0 if defined $o{master};
    return ($o{workers} // 1) > 1 ? 1 : 0;
}

sub _scn_conf {
    my %o = @_;

    my $conf = _load_module_conf();

    if (defined $o{full_conf}) {
        return $conf . expand_env($o{full_conf});
    }

    my $wc      = $o{worker_connections} // 1024;
    my $main    = expand_env($o{main_config} // '');
    my $http    = expand_env($o{http_config} // '');
    my $server  = expand_env($o{conf} // '');

    $conf .= _main_conf(_scn_master(%o), $o{workers} // 1,
                        $o{log_level} // 'debug');
    $conf .= "env $_;\n" for @{ $o{env} || [] };

    $conf .= <<"_EOC_";

$main

events {
    worker_connections $wc;
}

http {
    access_log logs/access.log;
    default_type text/plain;
    keepalive_timeout 68;

$http

    server {
        listen 127.0.0.1:$o{port};
        server_name localhost;
        client_max_body_size 30M;

$server
    }
}
_EOC_
    return $conf;
}

sub _nginx_diag {
    my $p = $Nginx{prefix} // return '';
    return _log_diag("$p/logs", 0, 0);
}

# Stop nginx.  signal => 'TERM' (default, fast shutdown) or 'QUIT'
# (graceful).  Returns the exit status ($?) or undef if nothing ran.
sub nginx_stop {
    my %o = @_;
    my $pid = $Nginx{pid};
    return undef unless $pid;
    return undef if $$ != $ParentPid;
    undef $Nginx{pid};

    my $sig = $o{signal} // 'TERM';
    my $limit = $o{timeout} // ($Nginx{valgrind} ? 60 : 10);

    return _stop_group($pid, $sig, $limit);
}

# Rewrite nginx.conf (options are merged into those given to nginx_start)
# and send SIGHUP; waits until new workers run and the old ones exited.
# Returns 1 on success, 0 if nginx rejected the new configuration (or
# timed out).
# a second nginx on the same Redis with the running one's configuration,
# in t/servroot-<name>: returns ($port, $prefix); stopped by
# nginx_twin_stop($prefix) or at exit.  module => path loads that build of
# the module instead (a rolling upgrade: two builds side by side).
my %Twins;

sub nginx_twin {
    my ($name, %o) = @_;
    my $prefix = "$RepoRoot/t/servroot-$name";
    File::Path::remove_tree($prefix);
    File::Path::make_path("$prefix/conf", "$prefix/logs");
    my $port = free_port();
    my $conf = _slurp("$Nginx{prefix}/conf/nginx.conf");
    $conf =~ s/listen 127\.0\.0\.1:\d+;/listen 127.0.0.1:$port;/
        or die "nginx_twin: no listen line\n";
    if (defined $o{module}) {
        $conf =~ s/^load_module \S*csq\S*;$/load_module $o{module};/m
            or die "nginx_twin: no load_module line of csq\n";
    }
    _write_file("$prefix/conf/nginx.conf", $conf);

    my @cmd = ($NginxBinary, '-p', "$prefix/", '-c', 'conf/nginx.conf');
    unshift @cmd, _valgrind_cmd("$prefix/logs", 1, $RepoRoot)
        if $Nginx{valgrind};
    my $pid = _spawn(\@cmd, "$prefix/logs/stderr.log", pgroup => 1,
                     pdeathsig => !$ENV{TEST_NGINX_NO_CLEAN});
    $Twins{$prefix} = $pid;

    my $deadline = Time::HiRes::time() + ($Nginx{valgrind} ? 30 : 5);
    until (_port_accepts('127.0.0.1', $port, 0.2)) {
        die "nginx_twin $name did not start\n"
            if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
    Time::HiRes::sleep($Nginx{valgrind} ? 1 : 0.1);
    return ($port, $prefix);
}

sub nginx_twin_stop {
    my ($prefix) = @_;
    my $pid = delete $Twins{$prefix} or return;
    _stop_group($pid, 'TERM', 10);
}

END { _stop_group($_, 'TERM', 10) for values %Twins; }

sub nginx_reload {
    my %o = @_;
    my $pid = $Nginx{pid} or die "nginx_reload: nginx is not running\n";
    my %opts = (%{ $Nginx{opts} }, %o);
    $Nginx{opts} = \%opts;
    _write_file("$Nginx{prefix}/conf/nginx.conf",
                _scn_conf(%opts, port => $Nginx{port}));

    my @old = nginx_worker_pids();
    my $mark = nginx_error_log_size();
    kill 'HUP', $pid;

    my $deadline = Time::HiRes::time() + ($Nginx{valgrind} ? 30 : 5);
    my $started;
    while (Time::HiRes::time() < $deadline) {
        if (!$started) {
            my $log = nginx_error_log($mark);
            return 0 if $log =~ /\[emerg\]/;    # new config rejected
            $started = $log =~ /reconfiguring.*start worker process/s;
        }
        if ($started) {
            # Done once the old workers are gone (they may otherwise
            # still accept a few connections with the old config).
            my %now = map { $_ => 1 } nginx_worker_pids();
            return 1 unless grep { $now{$_} } @old;
        }
        Time::HiRes::sleep(0.05);
    }
    return 0;
}

sub nginx_port   { return $Nginx{port} }
sub nginx_pid    { return $Nginx{pid} }
sub nginx_prefix { return $Nginx{prefix} }

# Pids of the current worker processes (children of the master).
sub nginx_worker_pids {
    my $master = $Nginx{pid} or return ();
    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        my $stat = _slurp("/proc/$p/stat") // next;
        # pid (comm) state ppid ...; comm may contain spaces/parens.
        next unless $stat =~ /\)\s+\S+\s+(\d+)/;
        push @pids, $p if $1 == $master;
    }
    closedir $dh;
    return sort { $a <=> $b } @pids;
}

# Error log text, optionally from byte offset $from (see
# nginx_error_log_size() to take a mark before an action).
sub nginx_error_log {
    my $from = shift // 0;
    my $p = $Nginx{prefix} // return '';
    return _read_from("$p/logs/error.log", $from);
}

sub nginx_error_log_size {
    my $p = $Nginx{prefix} // return 0;
    return _file_size("$p/logs/error.log");
}

# Problems found in the valgrind logs of the scenario nginx (call after
# nginx_stop()).  Returns '' when clean or when valgrind is not in use.
sub valgrind_report {
    my $p = $Nginx{prefix} // return '';
    return _valgrind_scan("$p/logs", 0);
}

# ---------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------

my $HttpError;

sub http_error { return $HttpError }

sub http_get {
    my ($path, %headers) = @_;
    return http_request('GET', $path, undef, %headers);
}

# http_request($method, $path, $body, %headers)
# Returns ($status, \%headers, $body); header names are lower-cased and
# repeated headers joined with ", "; chunked bodies are decoded.  On
# connection errors / timeouts returns (undef, {}, undef) and
# http_error() tells why.  Special %headers keys:
#   -port => N (default nginx_port()), -host => addr (127.0.0.1),
#   -timeout => secs (default $HttpTimeout, x5 under valgrind)
sub http_request {
    my ($method, $path, $body, %headers) = @_;
    undef $HttpError;

    my $port    = delete $headers{-port} // $Nginx{port};
    my $host    = delete $headers{-host} // '127.0.0.1';
    my $timeout = delete $headers{-timeout} // $HttpTimeout * $TimeoutFactor;

    if (!$port) {
        $HttpError = 'no port (nginx not started?)';
        return (undef, {}, undef);
    }

    my %lc = map { lc($_) => 1 } keys %headers;
    my $req = "$method $path HTTP/1.1\r\n";
    $req .= "Host: localhost\r\n" unless $lc{host};
    $req .= "Connection: close\r\n" unless $lc{connection};
    for my $k (sort keys %headers) {
        my $v = $headers{$k};
        for my $one (ref $v eq 'ARRAY' ? @$v : ($v)) {
            $req .= "$k: $one\r\n";
        }
    }
    if (defined $body && !$lc{'content-length'}
        && !$lc{'transfer-encoding'})
    {
        $req .= 'Content-Length: ' . length($body) . "\r\n";
    }
    $req .= "\r\n";
    $req .= $body if defined $body;

    local $SIG{PIPE} = 'IGNORE';
    my $sock = IO::Socket::INET->new(
        PeerAddr => $host, PeerPort => $port, Proto => 'tcp',
        Timeout  => $timeout,
    );
    if (!$sock) {
        $HttpError = "connect to $host:$port failed: $!";
        return (undef, {}, undef);
    }
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);

    if (!_write_all($sock, $sel, $req, $timeout)) {
        $HttpError = 'timeout while sending the request';
        return (undef, {}, undef);
    }

    my ($raw, $timed_out) = _drain($sock, $sel, $timeout);
    if ($timed_out) {
        $HttpError = 'timeout while reading the response';
        return (undef, {}, undef) unless length $raw;
    }
    close $sock;

    return _parse_http_response($raw, $method);
}

sub _parse_http_response {
    my ($raw, $method) = @_;

    my ($status, %h, $head);
    while (1) {
        my $end = index($raw, "\r\n\r\n");
        if ($end < 0) {
            $HttpError = 'incomplete response headers';
            return (undef, {}, $raw);
        }
        $head = substr($raw, 0, $end);
        $raw  = substr($raw, $end + 4);
        my ($line, @lines) = split /\r\n/, $head;
        ($status) = $line =~ m{^HTTP/\d\.\d\s+(\d{3})};
        %h = ();
        for my $l (@lines) {
            next unless $l =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/;
            my $k = lc $1;
            $h{$k} = exists $h{$k} ? "$h{$k}, $2" : $2;
        }
        last unless defined $status && $status =~ /^1/;    # 100 Continue
    }

    my $body = '';
    if ($method eq 'HEAD' || ($status // '') =~ /^(?:204|304)$/) {
        # no body
    } elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        while ($raw =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $size = hex $1;
            last if $size == 0;
            $body .= substr($raw, 0, $size);
            $raw = length($raw) > $size ? substr($raw, $size) : '';
            $raw =~ s/\A\r\n//;
        }
    } elsif (defined $h{'content-length'}
             && $h{'content-length'} =~ /^\d+$/)
    {
        $body = substr($raw, 0, $h{'content-length'});
    } else {
        $body = $raw;
    }

    return ($status, \%h, $body);
}

# ---------------------------------------------------------------------------
# Misc helpers
# ---------------------------------------------------------------------------

# A TCP port on 127.0.0.1 that is currently free (bind to port 0).
sub free_port {
    for (1 .. 20) {
        my $s = IO::Socket::INET->new(
            LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
            Listen => 1, ReuseAddr => 1,
        ) or die "free_port: cannot bind: $!\n";
        my $port = $s->sockport;
        close $s;
        my $runner_port = $ENV{TEST_NGINX_SERVER_PORT} // 1984;
        next if $port == 1984 || $port == $runner_port;
        return $port;
    }
    die "free_port: no free port found\n";
}

# Replace $TEST_NGINX_FOO by $ENV{TEST_NGINX_FOO} (unset ones untouched).
sub expand_env {
    my $s = shift;
    return $s unless defined $s;
    $s =~ s{\$(TEST_NGINX_[A-Z0-9_]+)}
           {defined $ENV{$1} ? $ENV{$1} : "\$$1"}ge;
    return $s;
}

# A prefix dir is shared by all tests of its kind (t/servroot-scn by the
# scenario tests, t/servroot by the block tests): hold an exclusive lock
# on "<prefix>.lock" until this process exits so that concurrent runs
# wait for each other instead of wiping each other's files.  $notify
# (optional) reports the wait; the default prints a "# ..." line to
# STDERR.
my %PrefixLocks;

sub _lock_prefix {
    my ($prefix, $notify) = @_;
    return if $PrefixLocks{$prefix};
    my $lockfile = "$prefix.lock";
    (my $dir = $lockfile) =~ s{/[^/]*$}{};
    File::Path::make_path($dir) unless -d $dir;
    open my $fh, '>>', $lockfile or die "cannot open $lockfile: $!\n";
    if (!flock($fh, Fcntl::LOCK_EX() | Fcntl::LOCK_NB())) {
        my $msg = "waiting for another test run using $prefix ...";
        $notify ? $notify->($msg) : print STDERR "# $msg\n";
        my $deadline = time + ($ENV{TEST_NGINX_LOCK_TIMEOUT} || 1800);
        until (flock($fh, Fcntl::LOCK_EX() | Fcntl::LOCK_NB())) {
            die "timed out waiting for the lock on $lockfile\n"
                if time > $deadline;
            Time::HiRes::sleep(0.2);
        }
    }
    $PrefixLocks{$prefix} = $fh;
    return;
}

# Have the kernel SIGKILL the child if this test process dies abruptly
# (Linux only, best effort).
sub _set_pdeathsig {
    return unless $^O eq 'linux';
    my %prctl = (x86_64 => 157, aarch64 => 167);
    my $nr = $prctl{ (POSIX::uname())[4] } or return;
    syscall($nr, 1, 9);    # prctl(PR_SET_PDEATHSIG, SIGKILL)
    return;
}

# Fork and exec @$cmd with stdin from /dev/null and stdout/stderr
# appended to $out.  Options: pgroup => 1 (own process group, so that it
# and its children can be killed together), pdeathsig => 1 (see
# _set_pdeathsig).  Returns the child pid.
sub _spawn {
    my ($cmd, $out, %o) = @_;
    my @cmd = @$cmd;
    my $pid = fork();
    die "fork() failed: $!\n" unless defined $pid;
    if ($pid == 0) {
        POSIX::setpgid(0, 0) if $o{pgroup};
        _set_pdeathsig() if $o{pdeathsig};
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $out;
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec { $cmd[0] } @cmd; }
        print STDERR "exec $cmd[0] failed: $!\n";
        POSIX::_exit(127);    # never run the parent's END blocks
    }
    return $pid;
}

# Stop a child started with _spawn(pgroup => 1): send $sig, wait up to
# $secs, then SIGKILL its whole process group ($on_kill, if given, is
# called first).  Finally makes sure no member of the group (e.g. an
# nginx worker) survives.  Returns the exit status ($?).
sub _stop_group {
    my ($pid, $sig, $secs, $on_kill) = @_;
    kill $sig, $pid;
    my $status = _wait_exit($pid, $secs);
    if (!defined $status) {
        $on_kill->() if $on_kill;
        kill 'KILL', -$pid;
        kill 'KILL', $pid;
        waitpid($pid, 0);
        $status = $?;
    }
    if (kill 0, -$pid) {
        Time::HiRes::sleep(0.2);
        kill 'KILL', -$pid if kill 0, -$pid;
    }
    return $status;
}

# valgrind command prefix: logs to $logdir/valgrind.<pid>.log, follows
# children if $trace_children, and uses valgrind.suppress /
# t/valgrind.suppress under $root when they exist.
sub _valgrind_cmd {
    my ($logdir, $trace_children, $root) = @_;
    my @cmd = ('valgrind', '-q', '--leak-check=full', '--num-callers=30',
               '--error-exitcode=0', "--log-file=$logdir/valgrind.%p.log");
    push @cmd, '--trace-children=yes' if $trace_children;
    for my $supp ("$root/valgrind.suppress", "$root/t/valgrind.suppress") {
        push @cmd, "--suppressions=$supp" if -f $supp;
    }
    return @cmd;
}

# Problems found in the valgrind logs $logdir/valgrind.*.log ('' when
# clean).  With $retire each log is renamed to *.checked afterwards (kept
# for inspection but out of the next scan).
sub _valgrind_scan {
    my ($logdir, $retire) = @_;
    my $out = '';
    for my $file (sort glob("$logdir/valgrind.*.log")) {
        $out .= _valgrind_problems(_slurp($file) // '', $file);
        if ($retire) {
            (my $done = $file) =~ s/\.log$/.checked/;
            rename $file, $done;
        }
    }
    return $out;
}

# Split a valgrind log into records (separated by "==PID== " blank lines)
# and keep those that indicate memory errors or definite leaks.
sub _valgrind_problems {
    my ($text, $file) = @_;
    my $out = '';
    for my $rec (split /^==\d+==\s*\n/m, $text) {
        next unless $rec =~ /\S/;
        my $bad = $rec =~ /Invalid (?:read|write|free)|uninitialised|Mismatched free/
               || ($rec =~ /([\d,]+) bytes in [\d,]+ blocks are definitely lost/
                   && $1 ne '0')
               || $rec =~ /definitely lost: [1-9]/;
        $out .= "$file:\n$rec\n" if $bad;
    }
    return $out;
}

# "load_module" lines for the modules in $TEST_NGINX_LOAD_MODULES (space
# separated paths); dynamic modules must be loaded before anything else.
sub _load_module_conf {
    my $conf = '';
    for my $mod (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '') {
        $conf .= "load_module $mod;\n";
    }
    return $conf;
}

# Main-level directives of a generated nginx.conf: foreground, logs and
# pid file under the prefix.
sub _main_conf {
    my ($master, $workers, $log_level) = @_;
    my $mp = $master ? 'on' : 'off';
    return <<"_EOC_";
daemon off;
master_process $mp;
worker_processes $workers;
error_log logs/error.log $log_level;
pid logs/nginx.pid;
_EOC_
}

# Tails of what nginx wrote to $logdir/stderr.log and $logdir/error.log
# since the given byte offsets.
sub _log_diag {
    my ($logdir, $stderr_pos, $err_pos) = @_;
    my $out = '';
    my $s = _last_lines(_read_from("$logdir/stderr.log", $stderr_pos), 15);
    $out .= "--- nginx stderr (tail) ---\n$s" if length $s;
    my $e = _last_lines(_read_from("$logdir/error.log", $err_pos), 30);
    $out .= "--- error.log (tail) ---\n$e" if length $e;
    return $out;
}

sub _find_nginx {
    for my $dir (split /:/, $ENV{PATH} // '') {
        next unless length $dir;
        return "$dir/nginx" if -x "$dir/nginx" && !-d "$dir/nginx";
    }
    return '/usr/sbin/nginx';
}

sub _port_accepts {
    my ($addr, $port, $timeout) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $port,
                                  Proto => 'tcp', Timeout => $timeout);
    return 0 unless $s;
    close $s;
    return 1;
}

# Write all of $data to the non-blocking $sock.  Returns 0 if the socket
# did not become writable within $timeout, else 1 (also when the peer
# closed early: its answer can still be read).
sub _write_all {
    my ($sock, $sel, $data, $timeout) = @_;
    while (length $data) {
        return 0 unless $sel->can_write($timeout);
        my $n = syswrite($sock, $data);
        if (!defined $n) {
            next if $!{EAGAIN} || $!{EINTR};
            last;    # e.g. nginx closed early (413): read what it sent
        }
        substr($data, 0, $n, '');
    }
    return 1;
}

# Read until EOF or until no data arrives for $timeout seconds.  Returns
# ($data, $timed_out) in list context, $data in scalar context.
sub _drain {
    my ($sock, $sel, $timeout) = @_;
    my $buf = '';
    while (1) {
        if (!$sel->can_read($timeout)) {
            return wantarray ? ($buf, 1) : $buf;
        }
        my $n = sysread($sock, $buf, 65536, length $buf);
        if (!defined $n) {
            next if $!{EAGAIN} || $!{EINTR};
            last;    # ECONNRESET and friends: treat as EOF
        }
        last if $n == 0;
    }
    return wantarray ? ($buf, 0) : $buf;
}

# waitpid with a deadline; returns $? or undef if still running.
sub _wait_exit {
    my ($pid, $secs) = @_;
    my $deadline = Time::HiRes::time() + $secs;
    while (1) {
        my $r = waitpid($pid, POSIX::WNOHANG());
        return $? if $r == $pid;
        return 0 if $r == -1;    # not our child (any more)
        return undef if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.01);
    }
}

sub _kill_wait {
    my ($pid, $sig, $secs) = @_;
    kill $sig, $pid;
    return defined _wait_exit($pid, $secs);
}

# File contents, undef if it cannot be read.
sub _slurp {
    my $file = shift;
    open my $fh, '<', $file or return undef;
    binmode $fh;
    local $/;
    my $data = <$fh>;
    return $data;
}

# File contents from byte offset $pos on ('' if it cannot be read).
sub _read_from {
    my ($file, $pos) = @_;
    open my $fh, '<', $file or return '';
    binmode $fh;
    seek $fh, $pos, 0 if $pos;
    local $/;
    my $data = <$fh>;
    return $data // '';
}

sub _file_size {
    my $f = shift;
    return -e $f ? -s _ : 0;
}

sub _write_file {
    my ($file, $content) = @_;
    open my $fh, '>', $file or die "cannot write $file: $!\n";
    binmode $fh;
    print {$fh} $content;
    close $fh or die "cannot write $file: $!\n";
    return;
}

# The last $n lines of $text (each with its "\n").
sub _last_lines {
    my ($text, $n) = @_;
    my @l = split /\n/, $text;
    @l = @l[-$n .. -1] if @l > $n;
    return join("\n", @l) . (@l ? "\n" : '');
}

sub _tail {
    my ($file, $n) = @_;
    return _last_lines(_slurp($file) // '', $n);
}

END {
    my $code = $?;
    if ($$ == $ParentPid) {
        nginx_stop() if $Nginx{pid} && !$ENV{TEST_NGINX_NO_CLEAN};
        redis_stop() if $Redis{pid};
    }
    $? = $code;
}

1;
