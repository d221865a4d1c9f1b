# vim:set ft= ts=4 sw=4 et fdm=marker:
# issue #3: JSON input through nginx's body reader: malformed -> 400,
# oversized -> 413, both as {"error":{"code","message"}}; client errors are
# logged at info, never above.

use t::Csq 'no_plan';

repeat_each(2);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config",
                          "csq_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};");
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /csq/status {
        csq_max_body 1k;
        csq_status;
    }
_EOC_
    }

    if (!defined $block->no_error_log) {
        $block->set_value("no_error_log", "[warn]\n[error]\n[crit]\n[alert]\n");
    }
});

run_tests();

__DATA__

=== TEST 1: truncated JSON -> 400
--- request
POST /csq/status
{"echo":
--- error_code: 400
--- response_body chomp
{"error":{"code":"invalid_json","message":"parse error: premature EOF"}}



=== TEST 2: not JSON at all -> 400
--- request
POST /csq/status
echo=hello
--- error_code: 400
--- response_body_like eval
qr/^\{"error":\{"code":"invalid_json","message":"lexical error: [^"]+"\}\}$/



=== TEST 3: trailing garbage after the document -> 400
--- request
POST /csq/status
{"echo":"a"} x
--- error_code: 400
--- response_body_like eval
qr/^\{"error":\{"code":"invalid_json","message":"[^"]+"\}\}$/



=== TEST 4: invalid UTF-8 inside a string -> 400
--- request eval
"POST /csq/status\n{\"echo\":\"\xc3\x28\"}"
--- error_code: 400
--- response_body_like eval
qr/^\{"error":\{"code":"invalid_json","message":"lexical error: invalid bytes in UTF8 string"\}\}$/



=== TEST 5: nested deeper than 32 -> 400
--- request eval
"POST /csq/status\n" . ("[" x 40) . ("]" x 40)
--- error_code: 400
--- response_body chomp
{"error":{"code":"invalid_json","message":"document nested too deeply"}}



=== TEST 6: nested 32 deep is fine (not an object, so 400 invalid_field)
--- request eval
"POST /csq/status\n" . ("[" x 32) . ("]" x 32)
--- error_code: 400
--- response_body chomp
{"error":{"code":"invalid_field","message":"body must be a JSON object"}}



=== TEST 7: empty body -> 400
--- request
POST /csq/status
--- error_code: 400
--- response_body chomp
{"error":{"code":"invalid_json","message":"request body is empty"}}



=== TEST 8: a field of the wrong type -> 400 naming the field
--- request
POST /csq/status
{"echo":42}
--- error_code: 400
--- response_body chomp
{"error":{"code":"invalid_field","message":"\"echo\" must be a string of at most 1024 bytes"}}



=== TEST 9: Content-Length over csq_max_body -> 413 without reading it
--- request eval
"POST /csq/status\n{\"echo\":\"" . ("x" x 2000) . "\"}"
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":{"code":"body_too_large","message":"request body is over csq_max_body"}}



=== TEST 10: chunked body over csq_max_body -> 413
--- raw_request eval
my $body = '{"echo":"' . ("y" x 1500) . '"}';
"POST /csq/status HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
" . sprintf("%x", length $body) . "\r\n$body\r\n0\r\n\r\n"
--- error_code: 413
--- response_body chomp
{"error":{"code":"body_too_large","message":"request body is over csq_max_body"}}



=== TEST 11: chunked body within the limit is parsed
--- raw_request eval
my $body = '{"echo":"chunked"}';
"POST /csq/status HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
5\r
" . substr($body, 0, 5) . "\r
" . sprintf("%x", length($body) - 5) . "\r
" . substr($body, 5) . "\r
0\r
\r
"
--- error_code: 200
--- response_body_like eval
qr/"echo":"chunked"\}$/



=== TEST 12: a body of exactly csq_max_body is accepted
--- request eval
my $body = '{"echo":"' . ("z" x 1013) . '"}';
die length($body) unless length($body) == 1024;
"POST /csq/status\n$body"
--- error_code: 200
--- response_body_like eval
qr/"echo":"z{1013}"\}$/



=== TEST 13: one byte over csq_max_body -> 413
--- request eval
my $body = '{"echo":"' . ("z" x 1014) . '"}';
"POST /csq/status\n$body"
--- error_code: 413
--- response_body chomp
{"error":{"code":"body_too_large","message":"request body is over csq_max_body"}}



=== TEST 14: the error is logged at info, with its code
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- request
POST /csq/status
[1,2
--- error_code: 400
--- error_log
[info]
csq: 400 invalid_json: parse error: premature EOF
