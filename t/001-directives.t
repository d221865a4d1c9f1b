# vim:set ft= ts=4 sw=4 et fdm=marker:
# issue #3: the module loads; every directive rejects bad values at nginx -t
# with a message naming the directive.

use t::Csq 'no_plan';

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the module loads and its directives are accepted
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT password=x db=1 pool=2;
    csq_redis_timeout 1500ms;
    csq_secret 0123456789abcdef0123;
    csq_max_body 16k;
--- config
    location = /t {
        return 200 "loaded\n";
    }
--- request
GET /t
--- response_body
loaded
--- no_error_log
[emerg]
[alert]



=== TEST 2: csq_redis: unknown parameter
--- http_config
    csq_redis 127.0.0.1:6379 colour=blue;
--- config
--- must_die
--- error_log
"csq_redis": invalid parameter "colour=blue"



=== TEST 3: csq_redis: db is not a number
--- http_config
    csq_redis 127.0.0.1:6379 db=one;
--- config
--- must_die
--- error_log
"csq_redis": invalid parameter "db=one"



=== TEST 4: csq_redis: pool out of range
--- http_config
    csq_redis 127.0.0.1:6379 pool=0;
--- config
--- must_die
--- error_log
"csq_redis": invalid "pool=0", pool must be 1..64



=== TEST 5: csq_redis: empty password
--- http_config
    csq_redis 127.0.0.1:6379 password=;
--- config
--- must_die
--- error_log
"csq_redis": invalid parameter "password="



=== TEST 6: csq_redis: bad port
--- http_config
    csq_redis 127.0.0.1:99999;
--- config
--- must_die
--- error_log
"csq_redis": invalid port in "127.0.0.1:99999"



=== TEST 7: csq_redis: empty unix socket path
--- http_config
    csq_redis unix:;
--- config
--- must_die
--- error_log
"csq_redis" has an empty unix socket path



=== TEST 8: csq_redis: given twice
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_redis 127.0.0.1:6380;
--- config
--- must_die
--- error_log
"csq_redis" directive is duplicate



=== TEST 9: csq_redis: not allowed in a server block
--- http_config
--- config
    csq_redis 127.0.0.1:6379;
--- must_die
--- error_log
"csq_redis" directive is not allowed here



=== TEST 10: csq_redis_timeout: not a time
--- http_config
    csq_redis_timeout soon;
--- config
--- must_die
--- error_log
"csq_redis_timeout" directive invalid value



=== TEST 11: csq_redis_timeout: zero
--- http_config
    csq_redis_timeout 0;
--- config
--- must_die
--- error_log
"csq_redis_timeout" must be more than 0



=== TEST 12: csq_secret: too short
--- http_config
    csq_secret short;
--- config
--- must_die
--- error_log
"csq_secret" needs a secret of at least 16 bytes



=== TEST 13: csq_secret_file: missing file
--- http_config
    csq_secret_file /nonexistent/csq.secret;
--- config
--- must_die
--- error_log
"csq_secret_file": open() "/nonexistent/csq.secret" failed



=== TEST 14: csq_secret and csq_secret_file together
--- http_config
    csq_secret 0123456789abcdef0123;
    csq_secret_file /nonexistent/csq.secret;
--- config
--- must_die
--- error_log
"csq_secret_file" directive is duplicate



=== TEST 15: csq_secret_file: a secret read from a file, newline trimmed
--- user_files
>>> csq.secret
0123456789abcdef
--- http_config
    csq_secret_file ../html/csq.secret;
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok



=== TEST 16: csq_secret_file: a short secret in a file
--- user_files
>>> short.secret
tooshort
--- http_config
    csq_secret_file ../html/short.secret;
--- config
--- must_die
--- error_log
"csq_secret_file" needs a secret of at least 16 bytes



=== TEST 17: csq_max_body: not a size
--- http_config
    csq_max_body lots;
--- config
--- must_die
--- error_log
"csq_max_body" directive invalid value



=== TEST 18: csq_max_body: too large
--- http_config
    csq_max_body 100m;
--- config
--- must_die
--- error_log
"csq_max_body" must be between 2 and 67108864



=== TEST 19: csq_status: takes no arguments
--- http_config
    csq_redis 127.0.0.1:6379;
--- config
    location = /s {
        csq_status on;
    }
--- must_die
--- error_log
invalid number of arguments in "csq_status" directive



=== TEST 20: csq_status without csq_redis
--- http_config
--- config
    location = /s {
        csq_status;
    }
--- must_die
--- error_log
csq locations need "csq_redis" in the http block



=== TEST 21: csq_status: not allowed at http level
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_status;
--- config
--- must_die
--- error_log
"csq_status" directive is not allowed here



=== TEST 22: csq_ws_max_message: too small
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_ws_max_message 100;
--- config
--- must_die
--- error_log
"csq_ws_max_message" directive must be between 128 and 64m



=== TEST 23: csq_ws_send_queue: not a size
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_ws_send_queue lots;
--- config
--- must_die
--- error_log
"csq_ws_send_queue" directive invalid value



=== TEST 24: csq_ws_ping: too short
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_ws_ping 10ms;
--- config
--- must_die
--- error_log
"csq_ws_ping" directive must be at least 100ms



=== TEST 25: csq_presence_grace: not a time
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_presence_grace soon;
--- config
--- must_die
--- error_log
"csq_presence_grace" directive invalid value



=== TEST 26: the socket directives at every level
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
    csq_ws_max_message 1m;
    csq_ws_ping 5s;
--- config
    csq_ws_send_queue 2m;
    location /api/ {
        csq_presence_grace 1m;
        csq_api;
    }
--- request
GET /api/tenants/acme/agent/ws
--- error_code: 401



=== TEST 27: csq_message_rate: at least 1
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_message_rate 0;
--- config
--- must_die
--- error_log
csq_message_rate and csq_message_burst must be at least 1



=== TEST 28: csq_trusted: not an address
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_trusted 127.0.0.1 nowhere;
--- config
--- must_die
--- error_log
invalid address "nowhere"



=== TEST 29: the limit directives at every level
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
    csq_message_rate 10;
    csq_trusted 10.0.0.0/8 ::1;
--- config
    csq_message_burst 40;
    location /api/ {
        csq_conversation_max_messages 500;
        csq_conversation_max_bytes 1m;
        csq_trusted 192.168.0.1;
        csq_api;
    }
--- request
GET /api/tenants/acme/agent/ws
--- error_code: 401



=== TEST 30: csq_outbox_allow: a prefix without a path
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_outbox_allow https://hooks.example.com;
--- config
--- must_die
--- error_log
"https://hooks.example.com" must be http(s)://host[:port]/path



=== TEST 31: csq_outbox: one location sends the outbox
--- http_config
    csq_redis 127.0.0.1:6379;
--- config
    location = /_a { internal; csq_outbox; proxy_pass $csq_outbox_url; }
    location = /_b { internal; csq_outbox; proxy_pass $csq_outbox_url; }
--- must_die
--- error_log
is duplicate: one location sends the outbox



=== TEST 32: csq_outbox_concurrency 0
--- http_config
    csq_redis 127.0.0.1:6379;
    csq_outbox_concurrency 0;
--- config
--- must_die
--- error_log
"csq_outbox_concurrency" must be at least 1



=== TEST 33: the outbox's directives, and $csq_outbox_url empty elsewhere
--- http_config
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
    csq_outbox_allow http://127.0.0.1:1/ https://hooks.example.com/in/;
    csq_outbox_concurrency 8;
    csq_outbox_lease 30s;
    csq_webhook_window 1m;
--- config
    location = /_csq_outbox {
        internal;
        csq_outbox;
        proxy_pass $csq_outbox_url;
    }
    location = /u {
        return 200 "[$csq_outbox_url]";
    }
--- request
GET /u
--- response_body chomp
[]
