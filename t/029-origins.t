# R1.3, issue #10 §4: one origin rule for the API, the sockets and the
# pages.  Origins compare as RFC 6454 origins: scheme, host and port, the
# host in any case and the scheme's default port implied; a page of the
# server's own Host is never another site's (whatever the scheme: TLS may
# end before nginx).  The tenant's list is kept as origins too.

use strict;
use warnings;

use JSON::PP ();
use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(workers => 1);

my $p = setup_tenant('acme', queues => { q => {} },
                     agents => { al => { queues => ['q'] } },
                     fallback => 'q');

# --- the list: kept as origins, anything else refused

my ($s, $j, $raw) = api(PUT => 'tenants/acme',
                        { origins => ['HTTPS://Shop.Example:443',
                                      'http://LOCALHOST:8081',
                                      'http://[::1]:80'] },
                        token => $p);
is $s, 200, 'origins in any case, with default ports' or diag $raw;
is_deeply $j->{origins},
    ['https://shop.example', 'http://localhost:8081', 'http://[::1]'],
    '... are kept as RFC 6454 origins';

for my $bad ('https://shop.example/cart', 'ftp://shop.example',
             'https://user@shop.example', 'https://shop.example:99999',
             'shop.example', 'https://') {
    ($s, $j) = api(PUT => 'tenants/acme', { origins => [$bad] },
                   token => $p);
    is "$s " . ($j->{error}{code} // ''), '400 invalid_field',
        "not an origin: $bad";
}

# --- the API: an arrival from a page of another site

sub arrive_from {
    my (%h) = @_;
    my ($st, $hd, $body) = http_request(POST => '/api/tenants/acme/conversations',
        '{"customer":"u' . int(rand(1e9)) . '"}',
        'Content-Type' => 'application/json', %h);
    return $st // 0;
}

is arrive_from(Origin => 'https://shop.example'), 201, 'a listed origin';
is arrive_from(Origin => 'https://SHOP.Example:443'), 201,
    'the same origin, another case and the default port written';
is arrive_from(Origin => 'https://shop.example:8443'), 403,
    'another port is another origin';
is arrive_from(Origin => 'http://shop.example'), 403,
    'another scheme is another origin';
is arrive_from(Origin => 'https://evil.example'), 403, 'an unlisted site';
is arrive_from(Origin => 'http://LOCALHOST'), 201,
    "the server's own Host, in another case, is not another site";
is arrive_from(Origin => 'https://localhost'), 201,
    "... nor with https (TLS ended before nginx)";
is arrive_from(), 201, 'no Origin: not a page of another site';
is arrive_from(Origin => 'null'), 403,
    'Origin: null (a sandboxed page) is never a listed site';
is arrive_from(Origin => 'chrome-extension://abc'), 403,
    'nor is an Origin of another scheme';

# --- the sockets: the handshake of a customer's page

my $c = arrive_ok('acme', customer => 'ws1');
my $path = "/api/tenants/acme/chat/ws?token=$c->{customer_token}"
         . "&conversation=$c->{id}";

my $ws = ws_open($path, origin => 'HTTPS://Shop.Example');
ok $ws, 'a socket from a listed origin, another case' or diag ws_error();
$ws->close if $ws;
$ws = ws_open($path, origin => 'https://shop.example:443');
ok $ws, '... and with the default port written' or diag ws_error();
$ws->close if $ws;
$ws = ws_open($path, origin => 'https://evil.example');
ok !$ws, 'a socket from an unlisted site is refused';
like ws_error() // '', qr/^403 .*origin_not_allowed/, '... 403 origin_not_allowed';

# --- the pages: the widget by its Referer, the chat page's frame-ancestors

sub widget {
    my ($referer) = @_;
    my ($st) = http_request(GET => '/api/tenants/acme/widget.js', undef,
                            $referer ? (Referer => $referer) : ());
    return $st // 0;
}

is widget('https://Shop.EXAMPLE:443/cart?x=1'), 200,
    'the widget on a page of a listed origin, any case, default port';
is widget('https://shop.example:8443/cart'), 403,
    'the widget on another port of it is refused';
is widget('https://evil.example/page'), 403, 'the widget on another site';
is widget('http://localhost/demo'), 200, "the widget on the server's own";
is widget(''), 200, 'no Referer: not refused';

my ($st, $hd) = http_request(GET => '/api/tenants/acme/chat');
is $st, 200, 'the chat page';
like $hd->{'content-security-policy'} // '',
    qr{frame-ancestors 'self' https://shop\.example http://localhost:8081 http://\[::1\](;|$)},
    '... may be framed by the listed origins, as kept';

# the workbench is never framed and loads no image from another host
($st, $hd) = http_request(GET => '/api/tenants/acme/workbench');
is $st, 200, 'the workbench';
my $csp = $hd->{'content-security-policy'} // '';
like $csp, qr{frame-ancestors 'none'(;|$)}, '... may not be framed, by anyone';
like $csp, qr{img-src 'self' data: blob:;}, '... and loads images of its own only (blob: the attachments it read)';

# every HTML has a CSP, the copies of assets/ too
for my $page ('chat.html', 'workbench.html') {
    ($st, $hd) = http_request(GET => "/api/assets/$page");
    is $st, 200, "assets/$page";
    like $hd->{'content-security-policy'} // '',
        qr{default-src 'self';.*frame-ancestors 'none'},
        "... has a CSP, framed by nobody";
}

nginx_stop();

is valgrind_report(), '', 'valgrind: clean';

done_testing();
