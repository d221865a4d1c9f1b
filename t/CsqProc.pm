package t::CsqProc;

# The plumbing under both kinds of tests: processes (spawn, wait, stop a
# whole process group), the lock on a shared prefix dir, the main part of
# a generated nginx.conf, valgrind's command line and its log scan,
# socket I/O with deadlines, and small file helpers.
#
# Its users are t/runner/Test/Nginx/Socket.pm (the block-format runner)
# and t/CsqUtil.pm (Redis, nginx and HTTP for the scenario tests).  It is
# not in t/runner/Test/Nginx/Util.pm, where upstream Test::Nginx keeps
# this kind of code, because the scenario helpers need it too and must
# also load when upstream Test::Nginx is first on @INC (its own
# Test::Nginx::Util would be found instead).  Only core Perl modules.
#
#     use t::CsqProc qw(spawn stop_group slurp);
#     my $pid = spawn(['redis-server', '--port', 0], '/tmp/out', pgroup => 1);
#     stop_group($pid, 'TERM', 5);

use strict;
use warnings;

use Exporter 'import';
use Fcntl ();
use File::Path ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

our @EXPORT_OK = qw(
    find_nginx spawn wait_exit kill_wait stop_group lock_prefix
    load_module_conf main_conf expand_env
    log_diag valgrind_cmd valgrind_scan
    port_accepts write_all drain
    slurp read_from file_size write_file last_lines tail_file
);

# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

# nginx when TEST_NGINX_BINARY is not set: the first one on PATH, else
# Debian's.
sub find_nginx {
    for my $dir (split /:/, $ENV{PATH} // '') {
        next unless length $dir;
        return "$dir/nginx" if -x "$dir/nginx" && !-d "$dir/nginx";
    }
    return '/usr/sbin/nginx';
}

# Fork and exec @$cmd with stdin from /dev/null and stdout/stderr
# appended to $out.  Options: pgroup => 1 (own process group, so that it
# and its children can be killed together), pdeathsig => 1 (see
# _set_pdeathsig).  Returns the child pid.
sub spawn {
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

# Have the kernel SIGKILL the child if this test process dies abruptly
# (Linux only, best effort).
sub _set_pdeathsig {
    return unless $^O eq 'linux';
    my %prctl = (x86_64 => 157, aarch64 => 167);
    my $nr = $prctl{ (POSIX::uname())[4] } or return;
    syscall($nr, 1, 9);    # prctl(PR_SET_PDEATHSIG, SIGKILL)
    return;
}

# waitpid with a deadline; returns $? or undef if still running.
sub wait_exit {
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

# Send $sig and wait up to $secs; true if the child exited.
sub kill_wait {
    my ($pid, $sig, $secs) = @_;
    kill $sig, $pid;
    return defined wait_exit($pid, $secs);
}

# Stop a child started with spawn(pgroup => 1): send $sig, wait up to
# $secs, then SIGKILL its whole process group ($on_kill, if given, is
# called first).  Finally makes sure no member of the group (e.g. an
# nginx worker) survives.  Returns the exit status ($?).
sub stop_group {
    my ($pid, $sig, $secs, $on_kill) = @_;
    kill $sig, $pid;
    my $status = wait_exit($pid, $secs);
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

# A prefix dir is shared by all tests of its kind (t/servroot-scn by the
# scenario tests, t/servroot by the block tests): hold an exclusive lock
# on "<prefix>.lock" until this process exits so that concurrent runs
# wait for each other instead of wiping each other's files.  $notify
# (optional) reports the wait; the default prints a "# ..." line to
# STDERR.
my %PrefixLocks;

sub lock_prefix {
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

# ---------------------------------------------------------------------------
# nginx.conf
# ---------------------------------------------------------------------------

# "load_module" lines for the modules in $TEST_NGINX_LOAD_MODULES (space
# separated paths); dynamic modules must be loaded before anything else.
sub load_module_conf {
    my $conf = '';
    for my $mod (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '') {
        $conf .= "load_module $mod;\n";
    }
    return $conf;
}

# Main-level directives of a generated nginx.conf: foreground, logs and
# pid file under the prefix.
sub main_conf {
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

# Replace $TEST_NGINX_FOO by $ENV{TEST_NGINX_FOO} (unset ones untouched).
sub expand_env {
    my $s = shift;
    return $s unless defined $s;
    $s =~ s{\$(TEST_NGINX_[A-Z0-9_]+)}
           {defined $ENV{$1} ? $ENV{$1} : "\$$1"}ge;
    return $s;
}

# ---------------------------------------------------------------------------
# Logs and valgrind
# ---------------------------------------------------------------------------

# Tails of what nginx wrote to $logdir/stderr.log and $logdir/error.log
# since the given byte offsets.
sub log_diag {
    my ($logdir, $stderr_pos, $err_pos) = @_;
    my $out = '';
    my $s = last_lines(read_from("$logdir/stderr.log", $stderr_pos), 15);
    $out .= "--- nginx stderr (tail) ---\n$s" if length $s;
    my $e = last_lines(read_from("$logdir/error.log", $err_pos), 30);
    $out .= "--- error.log (tail) ---\n$e" if length $e;
    return $out;
}

# valgrind command prefix: logs to $logdir/valgrind.<pid>.log, follows
# children if $trace_children, and uses valgrind.suppress /
# t/valgrind.suppress under $root when they exist.
sub valgrind_cmd {
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
sub valgrind_scan {
    my ($logdir, $retire) = @_;
    my $out = '';
    for my $file (sort glob("$logdir/valgrind.*.log")) {
        $out .= _valgrind_problems(slurp($file) // '', $file);
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

# ---------------------------------------------------------------------------
# Sockets
# ---------------------------------------------------------------------------

# True if something accepts TCP connections on $addr:$port: how the
# runners tell that a starting nginx or Redis is up.
sub port_accepts {
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
sub write_all {
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
sub drain {
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

# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------

# File contents, undef if it cannot be read.
sub slurp {
    my $file = shift;
    open my $fh, '<', $file or return undef;
    binmode $fh;
    local $/;
    my $data = <$fh>;
    return $data;
}

# File contents from byte offset $pos on ('' if it cannot be read).
sub read_from {
    my ($file, $pos) = @_;
    open my $fh, '<', $file or return '';
    binmode $fh;
    seek $fh, $pos, 0 if $pos;
    local $/;
    my $data = <$fh>;
    return $data // '';
}

# Size of $f, 0 if it does not exist yet (a mark to read a log from).
sub file_size {
    my $f = shift;
    return -e $f ? -s _ : 0;
}

# Write $content to $file (binary); dies if it cannot.
sub write_file {
    my ($file, $content) = @_;
    open my $fh, '>', $file or die "cannot write $file: $!\n";
    binmode $fh;
    print {$fh} $content;
    close $fh or die "cannot write $file: $!\n";
    return;
}

# The last $n lines of $text (each with its "\n").
sub last_lines {
    my ($text, $n) = @_;
    my @l = split /\n/, $text;
    @l = @l[-$n .. -1] if @l > $n;
    return join("\n", @l) . (@l ? "\n" : '');
}

# The last $n lines of $file ('' if it cannot be read).
sub tail_file {
    my ($file, $n) = @_;
    return last_lines(slurp($file) // '', $n);
}

1;
