package t::CsqUtil;

# Helpers of the scenario tests (Test::More scripts, see t/README.md),
# and the Redis of the block tests (through t::Csq).  Deliberately
# independent of Test::Nginx, so that the scenario tests run the same
# under this project's runner and under upstream Test::Nginx: only core
# Perl modules and t::CsqProc (processes, files, sockets, valgrind).
#
#   Redis:  redis_start redis_stop redis_restart redis_pause redis_resume
#           redis_cmd redis_port redis_socket redis_pid redis_status
#   nginx:  nginx_start nginx_stop nginx_reload nginx_port nginx_pid
#           nginx_prefix nginx_worker_pids nginx_error_log
#           nginx_error_log_size valgrind_report nginx_twin nginx_twin_stop
#   HTTP:   http_get http_request http_error
#   misc:   free_port expand_env
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
use File::Path ();
use File::Temp ();
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

use t::CsqProc qw(
    find_nginx spawn wait_exit kill_wait stop_group lock_prefix
    load_module_conf main_conf expand_env log_diag valgrind_cmd
    valgrind_scan port_accepts write_all drain slurp read_from file_size
    write_file tail_file
);

our @EXPORT = qw(
    redis_start redis_stop redis_restart redis_pause redis_resume
    redis_cmd redis_port redis_socket redis_pid redis_status
    nginx_start nginx_stop nginx_reload nginx_port nginx_pid nginx_prefix
    nginx_worker_pids nginx_error_log nginx_error_log_size valgrind_report
    nginx_twin nginx_twin_stop
    http_get http_request http_error
    free_port expand_env wait_for
);

our $RepoRoot     = Cwd::cwd();
our $UseValgrind  = $ENV{TEST_NGINX_USE_VALGRIND} || 0;
our $NginxBinary  = $ENV{TEST_NGINX_BINARY} || find_nginx();
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

    my $pid = spawn(\@cmd, "$Redis{dir}/redis.stdout", pdeathsig => 1);

    @Redis{qw(pid port paused socket)} = ($pid, $port, 0, $socket);
    $ENV{TEST_NGINX_REDIS_PORT} = $port;
    $ENV{TEST_NGINX_REDIS_SOCKET} = $socket;

    my $deadline = Time::HiRes::time() + ($opt{timeout} // 10);
    while (1) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            undef $Redis{pid};
            die "redis-server exited during startup (status $?)\n"
                . tail_file("$Redis{dir}/redis.log", 10)
                . tail_file("$Redis{dir}/redis.stdout", 10);
        }
        my $pong = eval {
            local $RedisTimeout = 0.5;
            redis_cmd('PING');
        };
        return $port if defined $pong && $pong eq 'PONG';
        if (Time::HiRes::time() > $deadline) {
            kill_wait($pid, 'KILL', 2);
            undef $Redis{pid};
            die "redis-server did not answer PING on port $port\n"
                . tail_file("$Redis{dir}/redis.log", 10);
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

    if (!wait_exit($pid, 5)) {
        kill_wait($pid, 'TERM', 3) or kill_wait($pid, 'KILL', 3);
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
    lock_prefix($prefix);
    File::Path::remove_tree($prefix) if -d $prefix;
    File::Path::make_path("$prefix/conf", "$prefix/logs", "$prefix/html");

    my $port = $o{port} // free_port();
    $ENV{TEST_NGINX_SCN_PORT} = $port;

    my $valgrind = $o{valgrind} // $UseValgrind;
    @Nginx{qw(prefix port opts valgrind)} = ($prefix, $port, {%o}, $valgrind);

    write_file("$prefix/conf/nginx.conf", _scn_conf(%o, port => $port));

    my $master = _scn_master(%o);
    my @cmd = ($NginxBinary, '-p', "$prefix/", '-c', 'conf/nginx.conf');
    unshift @cmd, valgrind_cmd("$prefix/logs", 1, $RepoRoot) if $valgrind;

    # own process group: workers die with it
    my $pid = spawn(\@cmd, "$prefix/logs/stderr.log", pgroup => 1,
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
        last if port_accepts('127.0.0.1', $port, 0.2);
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

    my $conf = load_module_conf();

    if (defined $o{full_conf}) {
        return $conf . expand_env($o{full_conf});
    }

    my $wc      = $o{worker_connections} // 1024;
    my $main    = expand_env($o{main_config} // '');
    my $http    = expand_env($o{http_config} // '');
    my $server  = expand_env($o{conf} // '');

    $conf .= main_conf(_scn_master(%o), $o{workers} // 1,
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
    return log_diag("$p/logs", 0, 0);
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

    return stop_group($pid, $sig, $limit);
}

# A second nginx on the same Redis with the running one's configuration,
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
    my $conf = slurp("$Nginx{prefix}/conf/nginx.conf");
    $conf =~ s/listen 127\.0\.0\.1:\d+;/listen 127.0.0.1:$port;/
        or die "nginx_twin: no listen line\n";
    if (defined $o{module}) {
        $conf =~ s/^load_module \S*csq\S*;$/load_module $o{module};/m
            or die "nginx_twin: no load_module line of csq\n";
    }
    write_file("$prefix/conf/nginx.conf", $conf);

    my @cmd = ($NginxBinary, '-p', "$prefix/", '-c', 'conf/nginx.conf');
    unshift @cmd, valgrind_cmd("$prefix/logs", 1, $RepoRoot)
        if $Nginx{valgrind};
    my $pid = spawn(\@cmd, "$prefix/logs/stderr.log", pgroup => 1,
                    pdeathsig => !$ENV{TEST_NGINX_NO_CLEAN});
    $Twins{$prefix} = $pid;

    my $deadline = Time::HiRes::time() + ($Nginx{valgrind} ? 30 : 5);
    until (port_accepts('127.0.0.1', $port, 0.2)) {
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
    stop_group($pid, 'TERM', 10);
}

END { stop_group($_, 'TERM', 10) for values %Twins; }

# Rewrite nginx.conf (options are merged into those given to nginx_start)
# and send SIGHUP; waits until new workers run and the old ones exited.
# Returns 1 on success, 0 if nginx rejected the new configuration (or
# timed out).
sub nginx_reload {
    my %o = @_;
    my $pid = $Nginx{pid} or die "nginx_reload: nginx is not running\n";
    my %opts = (%{ $Nginx{opts} }, %o);
    $Nginx{opts} = \%opts;
    write_file("$Nginx{prefix}/conf/nginx.conf",
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

# polls $what until it returns true, for $secs seconds (default 5, times
# the timeout factor): 1, or 0 when it never did
sub wait_for {
    my ($what, $secs) = @_;
    my $deadline = Time::HiRes::time() + ($secs // 5) * $TimeoutFactor;
    while (Time::HiRes::time() < $deadline) {
        return 1 if $what->();
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
        my $stat = slurp("/proc/$p/stat") // next;
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
    return read_from("$p/logs/error.log", $from);
}

sub nginx_error_log_size {
    my $p = $Nginx{prefix} // return 0;
    return file_size("$p/logs/error.log");
}

# Problems found in the valgrind logs of the scenario nginx, or of the
# twin in $prefix (call after nginx_stop() / nginx_twin_stop()).  Returns
# '' when clean or when valgrind is not in use.
sub valgrind_report {
    my $p = shift // $Nginx{prefix} // return '';
    return valgrind_scan("$p/logs", 0);
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

    if (!write_all($sock, $sel, $req, $timeout)) {
        $HttpError = 'timeout while sending the request';
        return (undef, {}, undef);
    }

    my ($raw, $timed_out) = drain($sock, $sel, $timeout);
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

END {
    my $code = $?;
    if ($$ == $ParentPid) {
        nginx_stop() if $Nginx{pid} && !$ENV{TEST_NGINX_NO_CLEAN};
        redis_stop() if $Redis{pid};
    }
    $? = $code;
}

1;
