package t::CsqReceiver;

# The other side of the outbox in tests (issue #14): a real HTTP/1.1
# server on a loopback port, in processes of its own (a pool of 24, each
# serving one connection at a time, keep-alive), that records every request it reads and answers
# as its mode says.  Nothing in the module is mocked: nginx posts to it
# through its own upstream machinery.
#
#   my $rx = t::CsqReceiver->new($dir);      # started on a free port
#   $rx->port;
#   $rx->mode(status => 503, delay => 0.5);  # how the next requests go
#   $rx->mode(script => [503, 503, 200]);    # one status a request, then
#                                            # the last one
#   my @r = $rx->requests;   # { at, method, path, headers (lower-case
#                            #   names), body, status } in arrival order
#   $rx->stop; $rx->start;   # down and back on the same port
#   $rx->clear;

use strict;
use warnings;

use Fcntl qw(:flock SEEK_SET);
use IO::Socket::INET;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use t::CsqUtil qw(free_port);

my $Json = JSON::PP->new->canonical;

sub new {
    my ($class, $dir, %o) = @_;
    my $self = bless { dir => $dir, port => $o{port} // free_port() },
                     $class;
    mkdir $dir;
    $self->clear;
    $self->mode(status => 200);
    $self->start;
    return $self;
}

sub port { $_[0]{port} }

sub _write {
    my ($file, $text) = @_;
    open my $fh, '>', "$file.tmp" or die "$file: $!";
    print $fh $text;
    close $fh;
    rename "$file.tmp", $file or die "$file: $!";
}

sub mode {
    my ($self, %m) = @_;
    $m{status} //= 200;
    _write("$self->{dir}/mode", $Json->encode(\%m));
    unlink "$self->{dir}/count";
}

sub clear {
    my ($self) = @_;
    _write("$self->{dir}/requests", '');
}

sub requests {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/requests" or return ();
    my @r;
    while (my $l = <$fh>) {
        push @r, $Json->decode($l);
    }
    return @r;
}

sub start {
    my ($self) = @_;
    my $sock;
    for (1 .. 50) {
        $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $self->{port},
                                      Listen => 128, ReuseAddr => 1);
        last if $sock;
        sleep 0.1;
    }
    die "receiver: cannot listen on $self->{port}: $!\n" unless $sock;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        # a pool of processes, each taking one connection at a time
        setpgrp(0, 0);
        my $kids = $self->{processes} // 24;
        for (1 .. $kids) {
            my $kid = fork;
            next if !defined $kid || $kid;
            while (1) {
                my $c = $sock->accept or next;
                $self->_serve($c);
                close $c;
            }
        }
        sleep 1000 while 1;
    }
    close $sock;
    $self->{pid} = $pid;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    local $?;       # the test's exit status stays its own
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

sub DESTROY { $_[0]->stop }

# the status for this request: the mode's, or the script's next one
sub _status {
    my ($self, $m) = @_;
    return ($m->{status}) unless $m->{script};
    open my $fh, '+>>', "$self->{dir}/count" or die $!;
    flock $fh, LOCK_EX;
    seek $fh, 0, SEEK_SET;
    my $n = <$fh> // 0;
    truncate $fh, 0;
    print $fh $n + 1;
    close $fh;
    my @s = @{ $m->{script} };
    return $s[$n < @s ? $n : $#s];
}

sub _serve {
    my ($self, $c) = @_;
    binmode $c;
    while (1) {
        my $line = <$c> // return;
        $line =~ s/\r?\n$//;
        my ($method, $path) = split / /, $line;
        my %h;
        while (my $l = <$c>) {
            $l =~ s/\r?\n$//;
            last if $l eq '';
            my ($k, $v) = split /:\s*/, $l, 2;
            $h{lc $k} = $v;
        }
        my $body = '';
        if (my $len = $h{'content-length'}) {
            read($c, $body, $len);
        }
        my $m = eval {
            open my $fh, '<', "$self->{dir}/mode" or die;
            local $/;
            $Json->decode(<$fh>);
        } || { status => 200 };
        my $status = $self->_status($m);
        my $rec = { at => time, method => $method, path => $path,
                    headers => \%h, body => $body, status => $status };
        open my $fh, '>>', "$self->{dir}/requests" or die $!;
        flock $fh, LOCK_EX;
        print $fh $Json->encode($rec), "\n";
        close $fh;
        sleep $m->{delay} if $m->{delay};
        my $out = $m->{body} // '{"ok":true}';
        print $c "HTTP/1.1 $status X\r\nContent-Type: application/json\r\n"
            . "Content-Length: " . length($out) . "\r\n\r\n$out";
        return if ($h{connection} // '') =~ /close/i;
    }
}

1;
