# vim:set ft= ts=4 sw=4 et fdm=marker:
# issue #5, R5.1: RFC 6455 conformance of the sockets, through a real nginx.
# The agent socket (/api/tenants/acme/agent/ws) is fed hand-made frames,
# most of them in the same packet as the handshake (so bytes that come
# with the handshake must not be lost): masking, RSV bits, opcodes,
# control frame rules, fragmentation, 64-bit lengths, the message size
# limit (1009), UTF-8 (1007, also across fragments), binary (1003), the
# close handshake and its codes, ping/pong, the keepalive ping, and the
# handshake refusals (JSON errors).
#
# For a 101 the body is every byte after the 101 headers (the server's
# frames, unmasked), read until the server closes the connection; a block
# that expects no error ends with a client close frame so that it does.

use strict;
use warnings;

use t::Csq 'no_plan';
use t::CsqApi ();
use t::CsqWs ();

# --- helpers for the blocks (called as ::name from "eval" sections)

# a client frame: its first byte (FIN, RSV, opcode) and payload, masked
# unless nomask; form => 16 or 64 forces that length form, len64 => 8 raw
# bytes gives the 64-bit length as is
sub wsf {
    my ($b0, $payload, %o) = @_;
    $payload //= '';
    my $n = length $payload;
    my $m = $o{nomask} ? 0 : 0x80;
    my $form = $o{form} // 0;
    my $h = chr($b0);
    if (defined $o{len64}) {
        $h .= chr($m | 127) . $o{len64};
    } elsif ($n < 126 && !$form) {
        $h .= chr($m | $n);
    } elsif ($n < 65536 && $form != 64) {
        $h .= chr($m | 126) . pack('n', $n);
    } else {
        $h .= chr($m | 127) . pack('NN', 0, $n);
    }
    return $h . $payload if $o{nomask};
    my $key = $o{key} // "\x37\xfa\x21\x3d";
    return $h . $key . ($payload ^ substr($key x ($n / 4 + 1), 0, $n));
}

sub text  { wsf(0x81, @_) }                     # a whole text message
sub ping  { wsf(0x89, @_) }

# a close frame: code (undef: an empty close) and reason
sub wsclose {
    my ($code, $reason) = @_;
    return wsf(0x88, '') unless defined $code;
    return wsf(0x88, pack('n', $code) . ($reason // ''));
}

sub agent_path {
    my ($tenant) = @_;
    $tenant //= 'acme';
    return "/api/tenants/$tenant/agent/ws?token=" . agent_token($tenant);
}

# alice's token, of her session S1 (setup_acme opens it, R9.5)
sub agent_token {
    my ($tenant, $ttl, $secret) = @_;
    return t::CsqApi::csq_token($tenant // 'acme', 'alice', 'agent',
                                $ttl // 3600, $secret, 'S1');
}

# the handshake of alice's agent socket (extra headers may be given)
sub hs { t::CsqWs::ws_handshake_request(agent_path(), @_) }

# a handshake with headers replaced or (undef) left out.  It asks
# for "Connection: Upgrade, close": nginx may keep a refused connection
# alive, and the block reads until the server closes.
sub hs_with {
    my ($path, %h) = @_;
    my $proto = delete $h{proto} // 'HTTP/1.1';
    my @order = ('Upgrade', 'Connection', 'Sec-WebSocket-Key',
                 'Sec-WebSocket-Version');
    my %v = ('Upgrade' => 'websocket', 'Connection' => 'Upgrade, close',
             'Sec-WebSocket-Key' => 'dGhlIHNhbXBsZSBub25jZQ==',
             'Sec-WebSocket-Version' => '13');
    for my $k (sort keys %h) {
        push @order, $k unless exists $v{$k};
        $v{$k} = $h{$k};
    }
    my $req = "GET $path $proto\r\nHost: localhost\r\n";
    $req .= "$_: $v{$_}\r\n" for grep { defined $v{$_} } @order;
    return "$req\r\n";
}

# a refusal's body: {"error":{"code":CODE,"message":"..."}} (any key order)
sub json_error {
    my ($code) = @_;
    return qr/\A\{"error":\{(?=(?:[^{}]*,)?"code":"\Q$code\E"[,}])
              (?=(?:[^{}]*,)?"message":"(?:[^"\\]|\\.)+"[,}])
              [^{}]*\}\}\n?\z/x;
}

# the hello text frame ($::HELLO in the patterns)
our $HELLO = qr/\x81(?:[\x00-\x7d]|\x7e..)\{[^\x81]*"type":"hello"[^\x81]*\}/s;

# the tenant acme and its agent alice (Redis is flushed before each block)
sub setup_acme {
    my (%t) = @_;
    redis_cmd('HSET', 'csq:{acme}:tenant', 'id', 'acme', 'name', 'acme',
              %t);
    redis_cmd('HSET', 'csq:{acme}:a:alice', 'id', 'alice', 'name', 'alice',
              'status', 'online', 'capacity', 2);
    redis_cmd('ZADD', 'csq:{acme}:a:alice:sessions',
              (time + 3600) * 1000, 'S1');
}

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: R5.1 handshake: 101 with the RFC's Sec-WebSocket-Accept; frames sent with it are read; a close 1000 is echoed
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1000)
--- error_code: 101
--- raw_response_headers_like eval
qr{^HTTP/1\.1 101 .*\r\nUpgrade: websocket\r\n.*Connection: Upgrade\r\n.*Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n}si
--- response_body_like eval
qr/\A\x88\x02\x03\xe8\z/
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: R5.1 handshake: header tokens in any case and lists (Connection: keep-alive, Upgrade); extensions and subprotocols offered are not accepted
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path(), Upgrade => 'WebSocket',
          Connection => 'keep-alive, Upgrade',
          'Sec-WebSocket-Extensions'
              => 'permessage-deflate; client_max_window_bits',
          'Sec-WebSocket-Protocol' => 'chat, superchat')
    . ::wsclose(1000)
--- error_code: 101
--- raw_response_headers_unlike eval
qr/Sec-WebSocket-(?:Extensions|Protocol)/i
--- response_body_like eval
qr/\A\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 3: R5.1 unmasked client frame -> close 1002 (a ping after it is not answered)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x81, '{"type":"ping"}', nomask => 1) . ::ping('late')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 4: R5.1 unmasked client control frame (ping) -> close 1002, no pong
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x89, 'hi', nomask => 1)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 5: R5.1 RSV1 set (no extension negotiated) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0xc1, '{"type":"ping"}') . ::ping('late')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 6: R5.1 RSV2 set -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0xa1, '{"type":"ping"}')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 7: R5.1 RSV3 set, on a control frame -> close 1002, no pong
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x99, 'hi')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 8: R5.1 reserved opcode 3 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x83, 'x') . ::ping('late')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 9: R5.1 reserved opcode 4 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x84, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 10: R5.1 reserved opcode 5 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x85, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 11: R5.1 reserved opcode 6 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x86, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 12: R5.1 reserved opcode 7 (without FIN) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x07, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 13: R5.1 reserved opcode 11 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x8b, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 14: R5.1 reserved opcode 12 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x8c, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 15: R5.1 reserved opcode 13 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x8d, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 16: R5.1 reserved opcode 14 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x8e, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 17: R5.1 reserved opcode 15 -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x8f, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 18: R5.1 control frame over 125 bytes (ping of 126) -> close 1002, no pong
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::ping('p' x 126)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 19: R5.1 fragmented control frame (ping with FIN=0) -> close 1002, no pong
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x09, 'hi') . ::wsf(0x80, 'ho')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 20: R5.1 continuation frame without a message started -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x80, '{"type":"ping"}')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 21: R5.1 continuation after a finished message -> close 1002 (the message before is answered)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::text('{"type":"ping"}') . ::wsf(0x80, 'x')
--- error_code: 101
--- response_body_like eval
qr/\A\x81\x0f\{"type":"pong"\}\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 22: R5.1 a new text message inside a fragmented one -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x01, '{"type":') . ::text('{"type":"ping"}')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 23: R5.1 a binary frame inside a fragmented text message -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x01, '{"type":') . ::wsf(0x82, 'xx')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 24: R5.1 64-bit payload length with the most significant bit set -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x81, '', len64 => "\x80\0\0\0\0\0\0\x05") . 'hello'
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 25: R5.1 the 16-bit and 64-bit length forms are read (small payloads)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x81, '{"type":"ping"}', form => 16)
       . ::wsf(0x81, '{"type":"ping"}', form => 64) . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x81\x0f\{"type":"pong"\}\x81\x0f\{"type":"pong"\}\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 26: R5.1 message size: a message of exactly csq_ws_max_message (1k) is taken
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ {
        csq_api;
        csq_ws_max_message 1k;
    }
--- init
main::setup_acme();
--- raw_request eval
my $m = '{"type":"ping","pad":"' . ('x' x (1024 - 24)) . '"}';
die "length " . length($m) unless length($m) == 1024;
::hs() . ::text($m) . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A(?:$::HELLO)?\x81\x0f\{"type":"pong"\}\x88\x02\x03\xe8\z/s
--- no_error_log
[alert]
[crit]



=== TEST 27: R5.1 message size: one frame over csq_ws_max_message (1k + 1) -> close 1009
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ {
        csq_api;
        csq_ws_max_message 1k;
    }
--- init
main::setup_acme();
--- raw_request eval
my $m = '{"type":"ping","pad":"' . ('x' x (1025 - 24)) . '"}';
::hs() . ::text($m) . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A(?:$::HELLO)?\x88\x02\x03\xf1\z/s
--- no_error_log
[alert]
[crit]



=== TEST 28: R5.1 message size: fragments adding up to over csq_ws_max_message -> close 1009
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ {
        csq_api;
        csq_ws_max_message 1k;
    }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x01, '{"type":"ping","pad":"' . ('x' x 578))
       . ::wsf(0x00, 'x' x 400)
       . ::wsf(0x80, ('x' x 100) . '"}')
       . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A(?:$::HELLO)?\x88\x02\x03\xf1\z/s
--- no_error_log
[alert]
[crit]



=== TEST 29: R5.1 invalid UTF-8: overlong form (C0 AF) -> close 1007
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::text("{\"type\":\"ping\",\"x\":\"\xc0\xaf\"}")
       . ::ping('late')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xef\z/
--- no_error_log
[alert]
[crit]



=== TEST 30: R5.1 invalid UTF-8: surrogate (ED A0 80) -> close 1007
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::text("{\"type\":\"ping\",\"x\":\"\xed\xa0\x80\"}")
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xef\z/
--- no_error_log
[alert]
[crit]



=== TEST 31: R5.1 invalid UTF-8: code point over U+10FFFF (F4 90 80 80) -> close 1007
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::text("{\"type\":\"ping\",\"x\":\"\xf4\x90\x80\x80\"}")
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xef\z/
--- no_error_log
[alert]
[crit]



=== TEST 32: R5.1 invalid UTF-8: a character cut at the end of the message -> close 1007
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::text("{\"type\":\"ping\"}\xe2\x82")
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xef\z/
--- no_error_log
[alert]
[crit]



=== TEST 33: R5.1 valid UTF-8: a 3-byte character split over two fragments is fine (no 1007)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x01, "{\"type\":\"ping\",\"x\":\"\xe2\x82")
       . ::wsf(0x80, "\xac\"}")
       . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x81\x0f\{"type":"pong"\}\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 34: R5.1 invalid UTF-8 across fragments (E2 then 28 A1) -> close 1007
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x01, "{\"type\":\"ping\",\"x\":\"\xe2")
       . ::wsf(0x80, "\x28\xa1\"}")
       . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xef\z/
--- no_error_log
[alert]
[crit]



=== TEST 35: R5.1 invalid UTF-8 in a first fragment fails at once (no waiting for the end of the message) -> close 1007
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x01, "{\"type\":\"ping\",\"x\":\"\xc0\xaf")
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xef\z/
--- no_error_log
[alert]
[crit]



=== TEST 36: R5.1 a binary message -> close 1003 (only text is taken)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x82, "\x00\x01\x02\xff") . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x88[\x02-\x7d]\x03\xeb[\x20-\x7e]*\z/
--- no_error_log
[alert]
[crit]



=== TEST 37: R5.1 close with an invalid code (999) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(999)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 38: R5.1 close with an invalid code (1004, reserved) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1004)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 39: R5.1 close with an invalid code (1005, never sent) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1005)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 40: R5.1 close with an invalid code (1006, never sent) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1006)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 41: R5.1 close with an invalid code (1015, never sent) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1015)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 42: R5.1 close with an invalid code (5000) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(5000)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 43: R5.1 close with an application code (4999) -> echoed
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(4999)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x13\x87\z/
--- no_error_log
[alert]
[crit]



=== TEST 44: R5.1 close with a 1-byte payload -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x88, "\x03")
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 45: R5.1 close with a reason over 123 bytes (control frame of 126) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1000, 'r' x 124)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xea\z/
--- no_error_log
[alert]
[crit]



=== TEST 46: R5.1 close with a reason of exactly 123 bytes -> echo of 1000
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1000, 'r' x 123)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 47: R5.1 close 1000 with a reason -> echo of the code 1000 (2-byte payload)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1000, 'bye now')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 48: R5.1 an empty close -> an empty close back
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose()
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x00\z/
--- no_error_log
[alert]
[crit]



=== TEST 49: R5.1 nothing is answered after the client's close
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1001) . ::ping('after') . ::text('{"type":"ping"}')
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xe9\z/
--- no_error_log
[alert]
[crit]



=== TEST 50: R5.1 close with a reason that is not UTF-8 -> close 1007
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsclose(1000, "bye\xff")
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xef\z/
--- no_error_log
[alert]
[crit]



=== TEST 51: R5.1 ping with a payload -> pong with the same payload (also 125 bytes, and empty)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::ping("hi \x00\xff there") . ::ping('m' x 125) . ::ping('')
       . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
my $big = 'm' x 125;
qr/\A\x8a\x0bhi \x00\xff there\x8a\x7d$big\x8a\x00\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 52: R5.1 an unsolicited pong is ignored
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x8a, 'unasked') . ::ping('x') . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x8a\x01x\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 53: R5.1 a fragmented text message is reassembled ({"type":"ping"} in 3 fragments -> pong)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x01, '{"ty') . ::wsf(0x00, 'pe":"pi') . ::wsf(0x80, 'ng"}')
       . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x81\x0f\{"type":"pong"\}\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 54: R5.1 control frames between fragments are answered; the message is still whole (and empty fragments are fine)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::wsf(0x01, '') . ::wsf(0x00, '{"type":') . ::ping('mid')
       . ::wsf(0x00, '') . ::wsf(0x80, '"ping"}') . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x8a\x03mid\x81\x0f\{"type":"pong"\}\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 55: R5.1 a text frame that is not JSON -> error invalid_json, the socket stays open
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs() . ::text('this is not json') . ::text('{"type":"ping"}')
       . ::ping('still') . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x81[\x01-\x7d]\{(?=[^\x81]*"type":"error")(?=[^\x81]*"code":"invalid_json")[^\x81]*\}\x81\x0f\{"type":"pong"\}\x8a\x05still\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 56: R5.1 the handshake and the frames in separate packets: hello, pong, close echo
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
[::hs(), ::ping('p1'), ::text('{"type":"ping"}') . ::wsclose(1000)]
--- raw_request_middle_delay eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 2 : 0.2
--- error_code: 101
--- response_body_like eval
qr/\A$::HELLO\x8a\x02p1\x81\x0f\{"type":"pong"\}\x88\x02\x03\xe8\z/s
--- no_error_log
[error]
[alert]
[crit]



=== TEST 57: R5.1 a protocol error in a later packet (after the hello) -> close 1002
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
[::hs(), ::ping('p1') . ::wsf(0x81, '{"type":"ping"}', nomask => 1)
         . ::ping('late')]
--- raw_request_middle_delay eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 2 : 0.2
--- error_code: 101
--- response_body_like eval
qr/\A$::HELLO\x8a\x02p1\x88\x02\x03\xea\z/s
--- error_log
websocket protocol error, closing with 1002
--- no_error_log
[alert]
[crit]



=== TEST 58: R5.1 a frame cut over several packets (header and payload split) is read whole
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
my $f = ::text('{"type":"ping"}') . ::wsclose(1000);
[::hs() . substr($f, 0, 1), substr($f, 1, 3), substr($f, 4, 8), substr($f, 12)]
--- raw_request_middle_delay: 0.05
--- error_code: 101
--- response_body_like eval
qr/\x81\x0f\{"type":"pong"\}\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]



=== TEST 59: R5.1 keepalive: csq_ws_ping 200ms, a silent client is pinged, then dropped
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ {
        csq_api;
        csq_ws_ping 200ms;
    }
--- init
main::setup_acme();
--- raw_request eval
::hs()
--- timeout: 1.5
--- error_code: 101
--- response_body_like eval
qr/\A$::HELLO\x89\x00\z/s
--- error_log
silent for two ping intervals
--- no_error_log
[alert]
[crit]



=== TEST 60: R5.1 handshake refused: a plain GET (no Upgrade; bearer token) -> 426 with Sec-WebSocket-Version: 13
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- request
GET /api/tenants/acme/agent/ws
--- more_headers eval
"Authorization: Bearer " . ::agent_token()
--- error_code: 426
--- response_headers
Sec-WebSocket-Version: 13
Content-Type: application/json
--- response_body_like eval
::json_error('upgrade_required')



=== TEST 61: R5.1 handshake refused: Upgrade to another protocol (h2c; ?token=) -> 426 with Sec-WebSocket-Version: 13
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path(), Upgrade => 'h2c')
--- error_code: 426
--- response_headers
Sec-WebSocket-Version: 13
--- response_body_like eval
::json_error('upgrade_required')



=== TEST 62: R5.1 handshake refused: Sec-WebSocket-Version 8 -> 426 with Sec-WebSocket-Version: 13
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path(), 'Sec-WebSocket-Version' => '8')
--- error_code: 426
--- response_headers
Sec-WebSocket-Version: 13
--- response_body_like eval
::json_error('upgrade_required')



=== TEST 63: R5.1 handshake refused: no Sec-WebSocket-Key -> 400
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path(), 'Sec-WebSocket-Key' => undef)
--- error_code: 400
--- response_body_like eval
::json_error('bad_handshake')



=== TEST 64: R5.1 handshake refused: a Sec-WebSocket-Key that is not 16 bytes in base64 -> 400
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path(), 'Sec-WebSocket-Key' => 'c2hvcnQ=')
--- error_code: 400
--- response_body_like eval
::json_error('bad_handshake')



=== TEST 65: R5.1 handshake refused: a 24-character Sec-WebSocket-Key that is not base64 -> 400
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path(), 'Sec-WebSocket-Key' => '!!!!!!!!!!!!!!!!!!!!!!==')
--- error_code: 400
--- response_body_like eval
::json_error('bad_handshake')



=== TEST 66: R5.1 handshake refused: no Connection: upgrade -> 400
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path(), 'Connection' => 'close')
--- error_code: 400
--- response_body_like eval
::json_error('bad_handshake')



=== TEST 67: R5.1 handshake refused: HTTP/1.0 -> 400
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path(), proto => 'HTTP/1.0')
--- error_code: 400
--- response_body_like eval
::json_error('bad_handshake')



=== TEST 68: R5.1 handshake refused: no token -> 401
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with('/api/tenants/acme/agent/ws')
--- error_code: 401
--- response_body_like eval
::json_error('unauthorized')



=== TEST 69: R5.1 handshake refused: a token signed with another secret -> 401
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with('/api/tenants/acme/agent/ws?token='
         . ::agent_token('acme', 3600, 'another secret of 20b'))
--- error_code: 401
--- response_body_like eval
::json_error('unauthorized')



=== TEST 70: R5.1 handshake refused: a customer token on the agent socket -> 403
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with('/api/tenants/acme/agent/ws?token='
         . t::CsqApi::csq_token('acme', 'u1', 'customer'))
--- error_code: 403
--- response_body_like eval
::json_error('forbidden')



=== TEST 71: R5.1 handshake refused: an unknown tenant -> 404 (a customer's token; an agent's names a session the tenant does not have: 401, R9.5)
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with('/api/tenants/nope/chat/ws?conversation=c1&token='
          . t::CsqApi::csq_token('nope', 'u1', 'customer'))
--- error_code: 404
--- response_body_like eval
::json_error('not_found')



=== TEST 71b: R9.5 handshake refused: an agent's token of an unknown tenant -> 401 session_ended
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme();
--- raw_request eval
::hs_with(::agent_path('nope'))
--- error_code: 401
--- response_body_like eval
::json_error('session_ended')



=== TEST 72: R5.1 handshake refused: an Origin not in the tenant's origins -> 403 origin_not_allowed
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme(origins => '["https://ok.example"]');
--- raw_request eval
::hs_with(::agent_path(), Origin => 'https://evil.example')
--- error_code: 403
--- response_body_like eval
::json_error('origin_not_allowed')



=== TEST 73: R5.1 handshake: an Origin in the tenant's origins -> 101
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
--- config
    location /api/ { csq_api; }
--- init
main::setup_acme(origins => '["https://ok.example"]');
--- raw_request eval
::hs(Origin => 'https://ok.example') . ::wsclose(1000)
--- error_code: 101
--- response_body_like eval
qr/\A\x88\x02\x03\xe8\z/
--- no_error_log
[alert]
[crit]
