# Self-check of the test scaffold (t/runner/Test/Nginx/Socket.pm, t/Csq.pm)
# using stock nginx directives only; it does not load the csq module.
#
#     prove -I. -It/runner t/000-runner.t
#
# It checks this runner's own behaviour (e.g. $TEST_NGINX_HTML_DIR, --- init
# in package main), so under upstream Test::Nginx (t/README.md) it skips:
# upstream has its own test suite, and every other file of t/ runs
# unchanged under both.
BEGIN {
    my ($runner) = grep { -f } map { "$_/Test/Nginx/Socket.pm" }
                   grep { !ref } @INC;
    if (($runner // '') !~ m{(?:^|/)t/runner/Test/Nginx/Socket\.pm$}) {
        require Test::More;
        Test::More::plan(skip_all => 'checks t/runner/Test/Nginx/Socket.pm,'
            . ' not ' . ($runner // 'a Test::Nginx::Socket found on @INC'));
    }
}

BEGIN {
    # Keep this file independent of the module build.
    $ENV{TEST_NGINX_LOAD_MODULES} = '' unless defined $ENV{TEST_NGINX_LOAD_MODULES};
    $ENV{TEST_NGINX_RUNNER_GREETING} = 'hi-from-env';
}

use t::Csq 'no_plan';

repeat_each(2);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: response_body
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 2: response_body_like (whole body, /s)
--- config
    location = /t {
        return 200 "line one\nline two: 42\n";
    }
--- request
GET /t
--- response_body_like
^line one\nline two: \d+$



=== TEST 3: error_code and an error page
--- config
    location = /t {
        return 403;
    }
--- request
GET /t
--- error_code: 403
--- response_body_like: 403 Forbidden



=== TEST 4: response_headers, absent header, response_headers_like
--- config
    location = /t {
        add_header X-Foo "bar baz";
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Foo: bar baz
Content-Type: text/plain
Content-Length: 3
!X-Bar
--- response_headers_like
Server: nginx(/[\d.]+)?
--- response_body
ok



=== TEST 5: request array via eval, per-request expectations
--- config
    location = /a {
        return 200 "A\n";
    }
    location = /b {
        return 201 "B\n";
    }
--- request eval
["GET /a", "GET /b", "GET /nope"]
--- error_code eval
[200, 201, 404]
--- response_body_like eval
["^A\n\$", "^B\n\$", "404 Not Found"]



=== TEST 6: raw_request
--- config
    location = /t {
        return 200 "proto=$server_protocol host=$host\n";
    }
--- raw_request eval
"GET /t HTTP/1.0\r
Host: example.com\r
\r
"
--- response_body
proto=HTTP/1.0 host=example.com



=== TEST 7: more_headers and $TEST_NGINX_ expansion
--- config
    location = /t {
        return 200 "foo=$http_x_foo bar=$http_x_bar port=$server_port\n";
    }
--- more_headers
X-Foo: $TEST_NGINX_RUNNER_GREETING
X-Bar: second header
--- request
GET /t
--- response_body
foo=hi-from-env bar=second header port=$TEST_NGINX_SERVER_PORT



=== TEST 8: POST body (Content-Length computed), access_log check
--- http_config
    log_format withbody "body=[$request_body]";
--- config
    location = /t {
        access_log logs/access.log withbody;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location = /backend {
        return 200 "method=$request_method len=$http_content_length\n";
    }
--- request
POST /t
hello world
--- response_body
method=POST len=11
--- access_log
body=[hello world]
--- no_error_log
[error]



=== TEST 9: request split into packets with a delay
--- http_config
    log_format withbody "body=[$request_body]";
--- config
    location = /t {
        access_log logs/access.log withbody;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location = /backend {
        return 200 "len=$http_content_length\n";
    }
--- request eval
[["POST /t\nhel", {value => "lo", delay_before => 0.1}]]
--- response_body
len=5
--- access_log
body=[hello]



=== TEST 10: chunked response from a static file (sub_filter drops Content-Length)
--- config
    location /static/ {
        root html;
        sub_filter_types *;
        sub_filter "world" "WORLD";
    }
--- user_files
>>> static/hello.txt
hello world
second line
--- request
GET /static/hello.txt
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- response_body
hello WORLD
second line



=== TEST 11: static file with Content-Length, HEAD request
--- config
    location /static/ {
        root html;
    }
--- user_files
>>> static/a.txt
abc
--- request
HEAD /static/a.txt
--- response_headers
Content-Length: 4
--- response_body chomp



=== TEST 12: error_log and no_error_log (lines and eval arrays with qr//)
--- config
    location /missing/ {
        root html;
    }
--- request
GET /missing/file.txt
--- error_code: 404
--- error_log
No such file or directory
/missing/file.txt
--- no_error_log eval
["[alert]", qr/\[crit\]|\[emerg\]/]



=== TEST 13: error_log eval with a regex
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t?abc=123
--- error_log eval
[qr/http args: "abc=\d+"/, "http finalize request"]
--- response_body
ok



=== TEST 14: must_die (bad main-level directive)
--- main_config
    timer_resolution abc;
--- config
    location = /t {
        return 200;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value



=== TEST 15: per-block log_level
--- log_level: warn
--- config
    location = /t {
        return 200 "quiet\n";
    }
--- request
GET /t
--- response_body
quiet
--- no_error_log
[debug]
[info]



=== TEST 16: --- init runs after nginx started, before the request
--- config
    location /static/ {
        root html;
    }
--- init
open my $fh, '>', "$ENV{TEST_NGINX_HTML_DIR}/static/init.txt" or die $!;
print $fh "made by init\n";
close $fh;
--- user_files
>>> static/placeholder.txt
x
--- request
GET /static/init.txt
--- response_body
made by init



=== TEST 17: pipelined requests on one connection
--- config
    location = /a {
        return 200 "first\n";
    }
    location = /b {
        return 200 "second\n";
    }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- response_body eval
["first\n", "second\n"]



=== TEST 18: timeout with abort is not a failure
--- http_config
    limit_req_zone $server_name zone=slow:1m rate=1r/m;
--- config
    location = /slow {
        # the second request is delayed for a minute
        limit_req zone=slow burst=5;
        return 200 "late\n";
    }
--- request eval
["GET /slow", "GET /slow"]
--- timeout: 300ms
--- abort
--- ignore_response



=== TEST 19: wait and response_body_filters
--- config
    location = /t {
        return 200 "MiXeD\n";
    }
--- request
GET /t
--- wait: 0.1
--- response_body_filters
lc
--- response_body
mixed



=== TEST 20: redis from t::Csq is up and flushed before the block
--- config
    location = /t {
        return 200 "redis port is $TEST_NGINX_REDIS_PORT\n";
    }
--- init
die "redis not flushed\n" if defined redis_cmd('GET', 'csq:runner:key');
redis_cmd('SET', 'csq:runner:key', 'x');
--- request
GET /t
--- response_body_like
^redis port is \d+$



=== TEST 21: skip_eval skips the given number of subtests
--- skip_eval: 2: 1
--- config
--- request
GET /t
--- response_body
never checked
