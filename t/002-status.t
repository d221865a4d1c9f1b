# vim:set ft= ts=4 sw=4 et fdm=marker:
# issue #3: csq_status answers JSON after a real round trip through the
# module's Redis pool and function path; 503 JSON when Redis cannot serve.

use t::Csq 'no_plan';

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: status: up, through FCALL_RO of the library's status
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /csq/status {
        csq_status;
    }
--- request eval
["GET /csq/status", "GET /csq/status", "GET /csq/status"]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json", "Content-Type: application/json"]
--- response_body_like eval
[(qr/^\{"redis":"up","version":"\d+\.\d+\.\d+","library":"[0-9a-f]{16}","redis_version":"7\.[\d.]+","redis_time":\d{10},"worker":\d+\}$/) x 3]
--- no_error_log
[error]
[warn]



=== TEST 2: status: HEAD has the headers and no body
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /csq/status {
        csq_status;
    }
--- request
HEAD /csq/status
--- response_headers
Content-Type: application/json
--- response_body



=== TEST 3: status: POST carries a text through Redis and back
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /csq/status {
        csq_status;
    }
--- request
POST /csq/status
{"echo":"ni hao \u4f60\u597d \"quoted\""}
--- response_body_like eval
qr/"echo":"ni hao \x{e4}\x{bd}\x{a0}\x{e5}\x{a5}\x{bd} \\"quoted\\""\}$/
--- no_error_log
[error]



=== TEST 4: status: the worker answers over a unix socket too
--- http_config
    csq_redis unix:$TEST_NGINX_REDIS_SOCKET;
--- config
    location = /csq/status {
        csq_status;
    }
--- request
GET /csq/status
--- response_body_like eval
qr/^\{"redis":"up",/



=== TEST 5: status: db=N selects a database
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT db=3 pool=1;
--- config
    location = /csq/status {
        csq_status;
    }
--- request
GET /csq/status
--- response_body_like eval
qr/^\{"redis":"up",/
--- no_error_log
[error]



=== TEST 6: status: a database Redis does not have -> 503, logged once
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT db=99 pool=1;
--- config
    location = /csq/status {
        csq_status;
    }
--- request
GET /csq/status
--- error_code: 503
--- response_body_like eval
qr/^\{"error":\{"code":"redis_unavailable","message":"[^"]+"\}\}$/
--- error_log
SELECT failed: ERR DB index is out of range



=== TEST 7: status: AUTH refused -> 503 with the JSON error shape
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT password=wrong pool=1;
--- config
    location = /csq/status {
        csq_status;
    }
--- request
GET /csq/status
--- error_code: 503
--- response_body_like eval
qr/^\{"error":\{"code":"redis_unavailable","message":"[^"]+"\}\}$/
--- error_log
AUTH failed



=== TEST 8: status: nothing listens on the Redis port -> 503 at once
--- http_config
    csq_redis 127.0.0.1:1 pool=2;
    csq_redis_timeout 5s;
--- config
    location = /csq/status {
        csq_status;
    }
--- request
GET /csq/status
--- timeout: 2
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body_like eval
qr/^\{"error":\{"code":"redis_unavailable","message":"[^"]+"\}\}$/
--- error_log
csq: redis 127.0.0.1:1: connect failed: Connection refused
--- no_error_log
[alert]
[crit]



=== TEST 9: status: other methods -> 405 JSON with Allow
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /csq/status {
        csq_status;
    }
--- request
DELETE /csq/status
--- error_code: 405
--- response_headers
Allow: GET, HEAD, POST
Content-Type: application/json
--- response_body chomp
{"error":{"code":"method_not_allowed","message":"this path does not take this method"}}
--- no_error_log
[warn]
[error]
