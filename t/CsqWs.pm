package t::CsqWs;

# A WebSocket client for multi-party scenario tests (frames by
# Protocol::WebSocket::Frame; masked, as a client's must be):
#
#     my $ws = ws_open("/api/tenants/acme/chat/ws?token=$t&conversation=c1")
#         or die ws_error();
#     my $hello = $ws->next_json;                 # the first JSON frame
#     $ws->send_json({ type => 'message', text => 'hi', ref => 'r1' });
#     my $ack = $ws->wait_json(sub { $_[0]{type} eq 'ack' });
#     $ws->close;
#
# Every JSON frame received is kept in $ws->{seen} (in order); wait_json
# takes the first frame it accepts among those no earlier wait took, and
# leaves the others for later waits.

use strict;
use warnings;

use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 ();
use Protocol::WebSocket::Frame;
use Time::HiRes ();
use t::CsqUtil;

our @EXPORT = qw(ws_open ws_error ws_handshake_request customer_socket);

my $Json = JSON::PP->new->canonical->allow_nonref;
my $Error;

sub ws_error { return $Error }

# the raw handshake request of a path (for raw_request blocks too)
sub ws_handshake_request {
    my ($path, %h) = @_;
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n"
            . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            . "Sec-WebSocket-Version: 13\r\n";
    $req .= "$_: $h{$_}\r\n" for sort keys %h;
    return "$req\r\n";
}

# connects and shakes hands; undef (see ws_error) unless 101.  On a refusal
# $ws_error holds "<status> <body>".
sub ws_open {
    my ($path, %o) = @_;
    undef $Error;
    my $port = $o{port} // nginx_port();
    my $timeout = ($o{timeout} // 5) * $t::CsqUtil::TimeoutFactor;
    my $sock = IO::Socket::INET->new(PeerAddr => $o{host} // '127.0.0.1',
                                     PeerPort => $port, Proto => 'tcp',
                                     Timeout => $timeout);
    if (!$sock) {
        $Error = "connect: $!";
        return undef;
    }
    my %h;
    $h{Origin} = $o{origin} if $o{origin};
    $sock->autoflush(1);
    print $sock ws_handshake_request($path, %h);
    $sock->blocking(0);

    my $self = bless { sock => $sock, sel => IO::Select->new($sock),
                       buf => '', seen => [], pending => [], closed => 0,
                       timeout => $timeout,
                       frame => Protocol::WebSocket::Frame->new(
                           max_payload_size => 0) }, __PACKAGE__;

    my $deadline = Time::HiRes::time() + $timeout;
    while ($self->{buf} !~ /\r\n\r\n/) {
        if (!$self->_fill($deadline)) {
            $Error = "no handshake answer";
            return undef;
        }
    }
    my ($head, $rest) = split /\r\n\r\n/, $self->{buf}, 2;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    if (($status // 0) != 101) {
        # the rest of the refusal's body
        while ($head =~ /Content-Length: (\d+)/i && length($rest) < $1) {
            last unless $self->_fill($deadline, 1);
            ($head, $rest) = split /\r\n\r\n/, $self->{buf}, 2;
        }
        $Error = ($status // 0) . " " . ($rest // '');
        return undef;
    }
    $self->{head} = $head;
    $self->{buf} = '';
    $self->{frame}->append($rest) if length $rest;
    return $self;
}

# reads what is there (waiting until the deadline): false on EOF/timeout
sub _fill {
    my ($self, $deadline, $raw) = @_;
    my $left = $deadline - Time::HiRes::time();
    return 0 if $left <= 0;
    return 0 unless $self->{sel}->can_read($left);
    my $n = sysread($self->{sock}, my $data, 65536);
    if (!$n) {
        $self->{closed} = 1;
        return 0;
    }
    if ($self->{head} && !$raw) {
        $self->{frame}->append($data);
    } else {
        $self->{buf} .= $data;
    }
    return 1;
}

# the next frame as (opcode, payload), or () on timeout/EOF; pings are
# answered on the way
# the customer socket of an arrival's reply $c in $tenant, once its hello
# came (undef if not)
sub customer_socket {
    my ($tenant, $c, %o) = @_;
    my $ws = ws_open("/api/tenants/$tenant/chat/ws?token=$c->{customer_token}"
                     . "&conversation=$c->{id}", %o) or return undef;
    return $ws->wait_json(sub { $_[0]{type} eq 'hello' }) ? $ws : undef;
}

# a text message with ref $ref (text "m <ref>" unless given, conversation
# for an agent's): its ack or error frame (undef: none came)
sub say {
    my ($self, $ref, %o) = @_;
    $self->send_json({ type => 'message', text => $o{text} // "m $ref",
                       ref => $ref,
                       ($o{conversation} ? (conversation => $o{conversation})
                                         : ()) });
    return $self->wait_json(sub { ($_[0]{ref} // '') eq $ref
                                  && $_[0]{type} =~ /^(ack|error)$/ },
                            $o{timeout});
}

sub next_frame {
    my ($self, $timeout) = @_;
    my $deadline = Time::HiRes::time()
                 + ($timeout // $self->{timeout});
    while (1) {
        my $payload = $self->{frame}->next_bytes;
        if (defined $payload) {
            my $op = $self->{frame}->opcode;
            if ($op == 9) {
                $self->send_frame(10, $payload);
                next;
            }
            return ($op, $payload);
        }
        return () unless $self->_fill($deadline);
    }
}

# the next JSON text frame (decoded), skipping control frames; undef if
# none came
sub next_json {
    my ($self, $timeout) = @_;
    while (1) {
        my ($op, $payload) = $self->next_frame($timeout);
        return undef unless defined $op;
        if ($op == 8) {
            $self->{close_frame} = $payload;
            $self->{closed} = 1;
            return undef;
        }
        next unless $op == 1;
        my $j = eval { $Json->decode($payload) } // { raw => $payload };
        push @{ $self->{seen} }, $j;
        push @{ $self->{pending} }, $j;
        return $j;
    }
}

# the first frame not yet taken that $match accepts, taken out of the
# pending ones; undef on timeout
sub wait_json {
    my ($self, $match, $timeout) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // $self->{timeout});
    my $checked = 0;
    while (1) {
        my $p = $self->{pending};
        for my $i ($checked .. $#$p) {
            if ($match->($p->[$i])) {
                return splice(@$p, $i, 1);
            }
        }
        $checked = @$p;
        my $left = $deadline - Time::HiRes::time();
        return undef if $left <= 0;
        return undef unless defined $self->next_json($left);
    }
}

# every frame that came within $secs (waits that long)
sub drain {
    my ($self, $secs) = @_;
    my $deadline = Time::HiRes::time() + $secs;
    while ((my $left = $deadline - Time::HiRes::time()) > 0) {
        last unless defined $self->next_json($left);
    }
    return @{ $self->{seen} };
}

sub send_frame {
    my ($self, $opcode, $payload) = @_;
    my $f = Protocol::WebSocket::Frame->new(buffer => $payload // '',
                                            opcode => $opcode, masked => 1);
    return $self->send_raw($f->to_bytes);
}

sub send_raw {
    my ($self, $bytes) = @_;
    my $sel = IO::Select->new($self->{sock});
    local $SIG{PIPE} = 'IGNORE';
    while (length $bytes) {
        return 0 unless $sel->can_write($self->{timeout});
        my $n = syswrite($self->{sock}, $bytes);
        return 0 unless defined $n;
        substr($bytes, 0, $n, '');
    }
    return 1;
}

# (strings are bytes, as the tests write them: UTF-8 goes out unchanged)
sub send_json {
    my ($self, $v) = @_;
    my $text = $Json->encode($v);
    utf8::downgrade($text, 1);
    return $self->send_frame(1, $text);
}

# the close handshake: sends 1000 and waits for the echo (or EOF)
sub close {
    my ($self) = @_;
    return if $self->{gone};
    $self->send_frame(8, pack('n', 1000)) unless $self->{closed};
    my $deadline = Time::HiRes::time() + 2;
    while (!$self->{closed} && Time::HiRes::time() < $deadline) {
        my ($op, $p) = $self->next_frame(0.5);
        last unless defined $op;
        if ($op == 8) {
            $self->{close_frame} = $p;
            last;
        }
    }
    CORE::close($self->{sock});
    $self->{gone} = 1;
}

# drops the TCP connection without a close frame (a network loss)
sub drop {
    my ($self) = @_;
    CORE::close($self->{sock}) unless $self->{gone};
    $self->{gone} = 1;
}

# the close code the server sent (undef: none yet)
sub close_code {
    my ($self) = @_;
    my $p = $self->{close_frame};
    return undef unless defined $p && length $p >= 2;
    return unpack('n', $p);
}

1;
