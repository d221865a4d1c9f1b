# issue #6: entry links (R1.2), visits and their figures (R8.1), CSV
# export, the page's entry call and visitor tokens (R1.1), the allowlist
# (R1.3), signed-in customers per link (R1.5), the keyword robot and its
# hand-off (R4.1, R4.2), the texts (R4.3), the pages themselves.
#
# Each block sets its tenant up through the API in its first requests.

use t::Csq 'no_plan';
use t::CsqApi ();

our $P = t::CsqApi::platform_token();

# the API on /api/, the tenant acme with a queue "sales" for every block
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', <<'_EOC_') unless $block->http_config;
    csq_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    csq_secret 0123456789abcdef0123;
_EOC_
    $block->set_value('config', <<'_EOC_') unless $block->config;
    location /api/ {
        csq_api;
    }
_EOC_
    $block->set_value('more_headers', "Authorization: Bearer $main::P\n"
                      . "Content-Type: application/json")
        unless defined $block->more_headers;
});

# requests that set the tenant up, then the block's own
sub setup {
    return ('PUT /api/tenants/acme' . "\n" . '{"name":"Acme"}',
            'PUT /api/tenants/acme/queues/sales' . "\n" . '{}', @_);
}

# alice, a supervisor of acme with a session S1 (R9.5)
sub supervisor {
    t::CsqUtil::redis_cmd('HSET', 'csq:{acme}:a:alice', 'id', 'alice',
                          'role', 'supervisor');
    t::CsqUtil::redis_cmd('ZADD', 'csq:{acme}:a:alice:sessions',
                          (time + 3600) * 1000, 'S1');
}

run_tests();

__DATA__

=== TEST 1: R1.2 a link is created, read, listed; its page enters by it
--- request eval
[main::setup(
 "PUT /api/tenants/acme/links/spring\n{\"name\":\"Spring sale\",\"queue\":\"sales\"}",
 "GET /api/tenants/acme/links/spring",
 "POST /api/tenants/acme/entry\n{\"ch\":\"spring\"}",
 "GET /api/tenants/acme/links")]
--- error_code eval
[201, 201, 201, 200, 200, 200]
--- response_body_like eval
[qr/acme/, qr/sales/,
 qr/"id":"spring".*"name":"Spring sale"|"name":"Spring sale".*"id":"spring"/,
 qr/"visits":0/,
 qr/"link":\{"id":"spring","name":"Spring sale"\}.*"visitor":\{"id":"v[0-9a-f]{20}","token":"[\w-]+\.[\w-]{43}"\}/,
 qr/"links":\[\{.*"visitors":1.*\}\]/]



=== TEST 2: R1.2 a deleted link says the account has been deleted, for good
--- request eval
[main::setup(
 "PUT /api/tenants/acme/links/old\n{\"name\":\"Old\"}",
 "DELETE /api/tenants/acme/links/old",
 "POST /api/tenants/acme/entry\n{\"ch\":\"old\"}",
 "POST /api/tenants/acme/conversations\n{\"customer\":\"u1\",\"link\":\"old\",\"queue\":\"sales\"}",
 "PUT /api/tenants/acme/links/old\n{\"name\":\"Back\"}",
 "POST /api/tenants/acme/entry\n{\"ch\":\"never\"}")]
--- error_code eval
[201, 201, 201, 200, 404, 404, 409, 404]
--- response_body_like eval
[qr//, qr//, qr//, qr/"deleted":\d+/,
 qr/"code":"link_deleted".*this customer-service account has been deleted|this customer-service account has been deleted.*"code":"link_deleted"/,
 qr/link_deleted/, qr/link_deleted/, qr/"not_found"/]



=== TEST 3: R1.2 links need a name of up to 200 bytes, a known queue
--- request eval
[main::setup(
 "PUT /api/tenants/acme/links/x\n{\"name\":\"" . ("n" x 201) . "\"}",
 "PUT /api/tenants/acme/links/x\n{\"queue\":\"nope\"}",
 "PUT /api/tenants/acme/links/x\n{\"require_login\":\"yes\"}",
 "PUT /api/tenants/acme/links/bad%20id\n{}")]
--- error_code eval
[201, 201, 400, 400, 400, 404]



=== TEST 4: R1.2 at most 10,000 links per tenant
--- init
# init runs in the runner's package (upstream: Test::Nginx::Util), not main
for my $i (1 .. 10000) {
    t::CsqUtil::redis_cmd('SADD', 'csq:{acme}:links', "l$i");
}
--- request eval
[main::setup("PUT /api/tenants/acme/links/one-more\n{\"name\":\"x\"}")]
--- error_code eval
[201, 201, 409]
--- response_body_like eval
[qr//, qr//, qr/"code":"too_many_links"|too_many_links/]



=== TEST 5: R8.1 visits, unique visitors in total and today, customers
--- request eval
my $v1 = t::CsqApi::csq_token('acme', 'visitor-one', 'customer', 86400);
[main::setup(
 "PUT /api/tenants/acme/links/spring\n{\"name\":\"Spring\",\"queue\":\"sales\"}",
 "POST /api/tenants/acme/entry\n{\"ch\":\"spring\",\"visitor_token\":\"$v1\"}",
 "POST /api/tenants/acme/entry\n{\"ch\":\"spring\",\"visitor_token\":\"$v1\"}",
 "POST /api/tenants/acme/entry\n{\"ch\":\"spring\"}",
 "POST /api/tenants/acme/conversations\n{\"customer\":\"visitor-one\",\"link\":\"spring\"}",
 "GET /api/tenants/acme/links/spring",
 "GET /api/tenants/acme/visitors?q=visitor-o",
 "GET /api/tenants/acme/visitors?link=spring&limit=10")]
--- error_code eval
[201, 201, 201, 200, 200, 200, 201, 200, 200, 200]
--- response_body_like eval
[qr//, qr//, qr//,
 qr/"visitor":\{"id":"visitor-one",/, qr/"visitor":\{"id":"visitor-one",/,
 qr/"visitor":\{"id":"v[0-9a-f]{20}",/,
 qr/"channel":"spring"/,
 qr/^(?=.*"visits":3)(?=.*"visitors":2)(?=.*"visitors_today":2)(?=.*"customers":1)/,
 qr/^\{"visitors":\[\{(?=[^}]*"id":"visitor-one")(?=[^}]*"visits":2)(?=[^}]*"last_channel":"spring")[^}]*\}\]\}$/,
 qr/^\{"visitors":\[\{.*\},\{.*\}\]\}$/]



=== TEST 6: R8.1 CSV export of links and visitors
--- request eval
my $v1 = t::CsqApi::csq_token('acme', 'v1', 'customer', 86400);
[main::setup(
 "PUT /api/tenants/acme/links/spring\n{\"name\":\"Spring, \\\"big\\\" sale\"}",
 "PUT /api/tenants/acme/links/evil\n{\"name\":\"=HYPERLINK(1)\"}",
 "POST /api/tenants/acme/entry\n{\"ch\":\"spring\",\"visitor_token\":\"$v1\"}",
 "GET /api/tenants/acme/links/export",
 "GET /api/tenants/acme/visitors/export")]
--- error_code eval
[201, 201, 201, 201, 200, 200, 200]
--- response_headers eval
["", "", "", "", "", "Content-Type: text/csv; charset=utf-8",
 "Content-Disposition: attachment; filename=\"export.csv\""]
--- response_body_like eval
[qr//, qr//, qr//, qr//, qr//,
 qr/\Aid,name,queue,visitors,visitors_today,visits,customers,created\r\nevil,'=HYPERLINK\(1\),,0,0,0,0,\d+\r\nspring,"Spring, ""big"" sale",,1,1,1,0,\d+\r\n\z/,
 qr/\Aid,visits,first,last,last_channel\r\nv1,1,\d+,\d+,spring\r\n\z/]



=== TEST 7: R9.1 links, visitors and keywords are for admins
--- init
main::supervisor();
--- more_headers eval
"Authorization: Bearer "
. t::CsqApi::csq_token('acme', 'alice', 'supervisor', 3600, undef, 'S1')
--- request eval
["GET /api/tenants/acme/links", "GET /api/tenants/acme/visitors",
 "GET /api/tenants/acme/links/export", "PUT /api/tenants/acme/keywords\n{}",
 "PUT /api/tenants/acme/links/l\n{}"]
--- error_code eval
[403, 403, 403, 403, 403]



=== TEST 8: R1.1 a returning visitor keeps its id; a bad token is a new one
--- request eval
my $other = t::CsqApi::csq_token('globex', 'v9', 'customer', 86400);
my $conv = t::CsqApi::csq_token('acme', 'v9/c1', 'customer', 86400);
[main::setup(
 "POST /api/tenants/acme/entry\n{\"visitor_token\":\"$other\"}",
 "POST /api/tenants/acme/entry\n{\"visitor_token\":\"$conv\"}",
 "POST /api/tenants/acme/entry\n{\"visitor_token\":\"garbage\"}",
 "POST /api/tenants/nobody/entry\n{}")]
--- error_code eval
[201, 201, 200, 200, 200, 404]
--- response_body_like eval
[qr//, qr//, qr/"visitor":\{"id":"v[0-9a-f]{20}"/,
 qr/"visitor":\{"id":"v[0-9a-f]{20}"/, qr/"visitor":\{"id":"v[0-9a-f]{20}"/,
 qr/not_found/]



=== TEST 9: R1.5 a link that requires login takes signed-in customers only
--- request eval
use Digest::SHA ();
my $key = Digest::SHA::hmac_sha256_hex('csq-identity|acme',
                                       $t::CsqApi::Secret);
my $sig = Digest::SHA::hmac_sha256_hex('u5', $key);
[main::setup(
 "PUT /api/tenants/acme/links/vip\n{\"name\":\"VIP\",\"queue\":\"sales\",\"require_login\":true}",
 "POST /api/tenants/acme/entry\n{\"ch\":\"vip\"}",
 "POST /api/tenants/acme/conversations\n{\"customer\":\"u5\",\"link\":\"vip\"}",
 "POST /api/tenants/acme/entry\n{\"ch\":\"vip\",\"customer\":\"u5\",\"customer_hash\":\"$sig\"}",
 "POST /api/tenants/acme/entry\n{\"ch\":\"vip\",\"customer\":\"u6\",\"customer_hash\":\"$sig\"}",
 "POST /api/tenants/acme/conversations\n{\"customer\":\"u5\",\"link\":\"vip\",\"customer_hash\":\"$sig\"}")]
--- error_code eval
[201, 201, 201, 200, 401, 200, 401, 201]
--- response_body_like eval
[qr//, qr//, qr//, qr/"require_login":true/, qr/login_required/,
 qr/"verified":true.*"visitor":\{"id":"u5"/, qr/bad_identity/,
 qr/"customer_token"/]



=== TEST 10: R1.3 pages of sites not on the allowlist are refused
--- request eval
[main::setup(
 "PUT /api/tenants/acme\n{\"origins\":[\"https://shop.example\"]}",
 "POST /api/tenants/acme/entry\n{}",
 "POST /api/tenants/acme/conversations\n{\"customer\":\"u1\",\"queue\":\"sales\"}")]
--- more_headers eval
my $h = "Authorization: Bearer $main::P\nContent-Type: application/json";
[$h, $h, $h, "$h\nOrigin: https://evil.example",
 "$h\nOrigin: https://evil.example"]
--- error_code eval
[201, 201, 200, 403, 403]
--- response_body_like eval
[qr//, qr//, qr//, qr/origin_not_allowed/, qr/origin_not_allowed/]



=== TEST 11: R1.3 a listed site, and the server's own pages, are let in
--- request eval
[main::setup(
 "PUT /api/tenants/acme\n{\"origins\":[\"https://shop.example\"]}",
 "POST /api/tenants/acme/entry\n{}",
 "POST /api/tenants/acme/entry\n{}")]
--- more_headers eval
my $h = "Authorization: Bearer $main::P\nContent-Type: application/json";
[$h, $h, $h, "$h\nOrigin: https://shop.example",
 "$h\nOrigin: http://localhost"]
--- error_code eval
[201, 201, 200, 200, 200]



=== TEST 12: R1.3 the widget script is refused to sites not on the list
--- request eval
[main::setup(
 "PUT /api/tenants/acme\n{\"origins\":[\"https://shop.example\"]}",
 "GET /api/tenants/acme/widget.js",
 "GET /api/tenants/acme/widget.js",
 "GET /api/tenants/acme/chat")]
--- more_headers eval
my $h = "Authorization: Bearer $main::P\nContent-Type: application/json";
[$h, $h, $h, "Referer: https://shop.example/cart?x=1",
 "Referer: https://evil.example/page", ""]
--- error_code eval
[201, 201, 200, 200, 403, 200]
--- response_headers_like eval
["", "", "", "Content-Type: text/javascript; charset=utf-8", "",
 "Content-Security-Policy: .*frame-ancestors 'self' https://shop\\.example"]
--- response_body_like eval
[qr//, qr//, qr//, qr/\S/, qr/origin_not_allowed/, qr/<html/i]



=== TEST 13: R1.1 the pages and their assets, with ETags
--- more_headers
--- request eval
["GET /api/tenants/acme/chat", "GET /api/tenants/acme/workbench",
 "GET /api/assets/chat.js", "GET /api/assets/chat.css",
 "GET /api/assets/nothing.js", "HEAD /api/assets/chat.js"]
--- error_code eval
[200, 404, 200, 200, 404, 200]
--- response_headers_like eval
["Content-Type: text/html; charset=utf-8", "",
 "ETag: \"[0-9a-f]{16}\"", "Content-Type: text/css; charset=utf-8",
 "", "Content-Type: text/javascript; charset=utf-8"]



=== TEST 14: R4.2 keyword rules: checked, kept, read back
--- request eval
[main::setup(
 "PUT /api/tenants/acme/keywords\n{\"rules\":[{\"match\":\"exact\",\"keyword\":\"price\",\"replies\":[{\"text\":\"From 9 EUR\",\"actions\":[{\"label\":\"Buy\",\"send\":\"I want to buy\"}]}]}]}",
 "GET /api/tenants/acme/keywords",
 "PUT /api/tenants/acme/keywords\n{\"rules\":[{\"match\":\"fuzzy\",\"keyword\":\"x\",\"replies\":[{\"text\":\"y\"}]}]}",
 "PUT /api/tenants/acme/keywords\n{\"rules\":[{\"match\":\"exact\",\"keyword\":\"x\",\"replies\":[" . CORE::join(',', ('{"text":"y"}') x 6) . "]}]}",
 "PUT /api/tenants/acme/keywords\n{\"rules\":[{\"match\":\"exact\",\"keyword\":\"\",\"replies\":[{\"text\":\"y\"}]}]}")]
--- error_code eval
[201, 201, 200, 200, 400, 400, 400]
--- response_body_like eval
[qr//, qr//, qr/"keyword":"price"/,
 qr/"actions":\[\{(?=[^}]*"label":"Buy")(?=[^}]*"send":"I want to buy")/,
 qr/exact or contains/, qr/1 to 5/, qr/keyword/]
