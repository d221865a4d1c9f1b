package t::CsqApi;

# A small client of the csq JSON API for scenario tests:
#
#     use t::CsqUtil;
#     use t::CsqApi;
#     redis_start();
#     api_nginx_start();                      # nginx with csq_api on /api/
#     my $p = platform_token();
#     my ($status, $json) = api(PUT => 'tenants/acme', { name => 'Acme' },
#                               token => $p);
#
# The routing helpers (arrivals, conversations, agents and queues of a
# tenant, read or changed with the platform token) are exported on demand:
#
#     use t::CsqApi qw(:DEFAULT :routing);
#
# Tokens are made here exactly as the module makes them:
# base64url("tenant|agent|role|expires") . "." . base64url(HMAC-SHA256).

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET ();
use Digest::SHA ();
use JSON::PP ();
use MIME::Base64 ();
use Time::HiRes ();
use t::CsqUtil;

our @EXPORT = qw(api api_nginx_start api_http_config outbox_location
                 channel_post csq_token
                 platform_token $Secret login_token setup_tenant post_from
                 tenant_call tenant_call_ok);

our %EXPORT_TAGS = (
    routing => [qw(arrive arrive_ok agent_of conv agent_get load_of
                   agent_convs queue_get set_status end_conv end_conv_ok
                   customer)],
);
our @EXPORT_OK = @{ $EXPORT_TAGS{routing} };

our $Secret = '0123456789abcdef0123';

my $Json = JSON::PP->new->canonical->allow_nonref;

sub _b64url {
    my $s = MIME::Base64::encode_base64(shift, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

# (a session, R9.5: an agent's comes from its login, so a token made here
# for an agent, supervisor or admin is refused; the platform's is its
# generation, none meaning 0)
sub csq_token {
    my ($tenant, $agent, $role, $ttl, $secret, $session) = @_;
    my $payload = join '|', $tenant, $agent // '', $role,
                  time + ($ttl // 3600), defined $session ? ($session) : ();
    return _b64url($payload) . '.'
        . _b64url(Digest::SHA::hmac_sha256($payload, $secret // $Secret));
}

sub platform_token { return csq_token('*', '', 'platform') }

# the http-level lines of api_nginx_start (and of a reload of it), with
# extra ones
sub api_http_config {
    my ($extra) = @_;
    # valgrind slows a starting worker down: give its connects more time
    my $timeout = 2 * $t::CsqUtil::TimeoutFactor;
    my $http = <<"_EOC_";
    csq_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT pool=2;
    csq_redis_timeout ${timeout}s;
    csq_secret $Secret;
_EOC_
    return $http . ($extra // '');
}

# the internal location the outbox posts through (issue #14: csq_outbox):
# nginx's own proxy to each entry's url (allowed by csq_outbox_allow in
# the http block), upstream keepalive and short timeouts; $extra: more
# directives for it
sub outbox_location {
    my ($extra) = @_;
    return "location = /_csq_outbox {\n    internal;\n    csq_outbox;\n"
        . "    proxy_pass \$csq_outbox_url;\n"
        . "    proxy_http_version 1.1;\n"
        . "    proxy_set_header Connection \"\";\n"
        . "    proxy_connect_timeout 1s;\n    proxy_read_timeout 2s;\n"
        . ($extra // '') . "}\n";
}

# a delivery to tenant $t's channel $ch's webhook (issue #14), $ev a
# hash (sent as JSON) or the raw body, signed with the channel's $key:
# "<gen>:<hex(HMAC-SHA256(key, "<ts>.<body>"))>"; options: ts (default
# now), gen (1), sig (as given), nots / nosig (the header left out), port.
# Returns ($status, $json, $raw).
sub channel_post {
    my ($t, $ch, $key, $ev, %o) = @_;
    my $body = ref $ev ? $Json->encode($ev) : $ev;
    my $ts = int($o{ts} // time);
    my $sig = $o{sig} // ($o{gen} // 1) . ':'
        . Digest::SHA::hmac_sha256_hex("$ts.$body", $key);
    my ($s, $h, $raw) = http_request(
        POST => "/api/tenants/$t/channels/$ch/inbound", $body,
        'Content-Type' => 'application/json',
        ($o{nots} ? () : ('X-Csq-Timestamp' => $ts)),
        ($o{nosig} ? () : ('X-Csq-Signature' => $sig)),
        ($o{port} ? ('-port' => $o{port}) : ()));
    my $json = eval { $Json->decode($raw) } if defined $raw && length $raw;
    return ($s // 0, $json, $raw);
}

# nginx with the API on /api/ (extra http-level lines may be given)
sub api_nginx_start {
    my (%o) = @_;
    return nginx_start(workers => $o{workers} // 2,
                       log_level => $o{log_level} // 'debug',
                       http_config => api_http_config($o{http_config}),
                       conf => "location /api/ { csq_api; }\n"
                               . ($o{conf} // ''),
                       %{ $o{nginx} || {} });
}

# api(METHOD => 'path below /api/', $body (ref or raw string), token => ...)
# returns ($status, $decoded_json_or_undef, $raw_body)
sub api {
    my ($method, $path, $body, %o) = @_;
    my %h;
    $h{Authorization} = "Bearer $o{token}" if $o{token};
    $h{'-port'} = $o{port} if $o{port};
    my $raw = ref $body ? $Json->encode($body) : $body;
    $h{'Content-Type'} = 'application/json' if defined $raw;
    my ($status, $headers, $resp) = http_request($method, "/api/$path",
                                                 $raw, %h);
    my $json = eval { $Json->decode($resp) } if defined $resp && length $resp;
    return ($status // 0, $json, $resp);
}

# a POST of $body (a hash, sent as JSON) to $path from a loopback address
# of our choice ($from, e.g. 127.0.0.2), with a bearer token if given:
# (status, decoded JSON, headers by lower-case name)
sub post_from {
    my ($from, $path, $body, $token) = @_;
    my $text = $Json->encode($body);
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => nginx_port(),
                                  LocalAddr => $from, Proto => 'tcp')
        or die "connect from $from: $!\n";
    print $s "POST $path HTTP/1.1\r\nHost: localhost\r\n"
           . "Content-Type: application/json\r\nConnection: close\r\n"
           . ($token ? "Authorization: Bearer $token\r\n" : '')
           . "Content-Length: " . length($text) . "\r\n\r\n$text";
    my $raw = join '', <$s>;
    my ($head, $out) = split /\r\n\r\n/, $raw, 2;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } split /\r\n/, $head;
    return ($status, eval { $Json->decode($out) }, \%h);
}

# $method tenants/$tenant/$path with $body and $token: (status, json, raw)
sub tenant_call {
    my ($tenant, $token, $method, $path, $body) = @_;
    return api($method => "tenants/$tenant/$path", $body, token => $token);
}

# the same, which must answer $want (200): its json
sub tenant_call_ok {
    my ($tenant, $token, $method, $path, $body, $want) = @_;
    my ($s, $j, $raw) = tenant_call($tenant, $token, $method, $path, $body);
    die "$method $path: $s " . ($raw // '') . "\n" unless $s == ($want // 200);
    return $j;
}

sub login_token {
    my ($tenant, $agent, $password, %o) = @_;
    my ($s, $j) = api(POST => "tenants/$tenant/login",
                      { agent => $agent, password => $password // 'password1' },
                      %o);
    die "login $agent: $s\n" unless $s == 200;
    return $j->{token};
}

# a tenant with queues and agents, everyone online unless told otherwise,
# and (if given) a fallback queue for the arrivals that name none:
# setup_tenant('acme', queues => { sales => { strategy => ... } },
#              agents => { alice => { queues => ['sales'], capacity => 2,
#                                     status => 'online' } },
#              fallback => 'sales')
sub setup_tenant {
    my ($t, %o) = @_;
    my $p = platform_token();
    my ($s, $tries) = (0, 0);
    # a worker just started (under valgrind) may still be loading scripts
    while ($tries++ < 10) {
        ($s) = api(PUT => "tenants/$t", $o{tenant} || {}, token => $p);
        last unless $s == 503;
        Time::HiRes::sleep(0.5);
    }
    die "tenant $t: $s\n" unless $s == 201 || $s == 200;
    for my $q (sort keys %{ $o{queues} || {} }) {
        ($s) = api(PUT => "tenants/$t/queues/$q", $o{queues}{$q}, token => $p);
        die "queue $q: $s\n" unless $s == 201 || $s == 200;
    }
    for my $a (sort keys %{ $o{agents} || {} }) {
        my %spec = %{ $o{agents}{$a} };
        my $status = delete $spec{status} // 'online';
        $spec{password} //= 'password1';
        my ($s2, $j, $raw) = api(PUT => "tenants/$t/agents/$a", \%spec,
                                 token => $p);
        die "agent $a: $s2 $raw\n" unless $s2 == 201 || $s2 == 200;
        ($s2, $j, $raw) = api(POST => "tenants/$t/agents/$a/status",
                              { status => $status }, token => $p);
        die "status $a: $s2 $raw\n" unless $s2 == 200;
    }
    if (defined $o{fallback}) {
        my ($s2, $j, $raw) = api(PUT => "tenants/$t/rules",
                                 { rules => [], fallback_queue => $o{fallback} },
                                 token => $p);
        die "rules $t: $s2 " . ($raw // '') . "\n" unless $s2 == 200;
    }
    return $p;
}

# --- :routing, for tenant $t; the reads and changes use the platform token

# a new customer arrives: ($status, $json, $raw)
sub arrive {
    my ($t, %body) = @_;
    # distinct milliseconds: "oldest" and "longest idle" are told apart
    Time::HiRes::sleep(0.003);
    return api(POST => "tenants/$t/conversations", \%body);
}

# the same, but it must be accepted: its json
sub arrive_ok {
    my ($t, %body) = @_;
    my ($s, $j, $raw) = arrive($t, %body);
    die "arrive in $t: $s " . ($raw // '') . "\n" unless $s == 201;
    return $j;
}

# the agent id of a conversation ('' when it has none)
sub agent_of {
    my ($j) = @_;
    return $j && $j->{agent} ? $j->{agent}{id} : '';
}

# GET tenants/$t/$path: its json
sub _get {
    my ($t, $path) = @_;
    my ($s, $j) = api(GET => "tenants/$t/$path", undef,
                      token => platform_token());
    return $j;
}

sub conv        { return _get($_[0], "conversations/$_[1]") }
sub agent_get   { return _get($_[0], "agents/$_[1]") }
sub agent_convs { return _get($_[0], "agents/$_[1]/conversations") }
sub queue_get   { return _get($_[0], "queues/$_[1]") }
sub load_of     { return agent_get(@_)->{load} }

# $method tenants/$t/$path with $body, which must answer 200 (or 201,
# made): its json
sub _change_ok {
    my ($what, $method, $t, $path, $body) = @_;
    my ($s, $j, $raw) = api($method => "tenants/$t/$path", $body,
                            token => platform_token());
    die "$what: $s " . ($raw // '') . "\n" unless $s == 200 || $s == 201;
    return $j;
}

# set_status($t, $agent, status => ..., reception => ...)
sub set_status {
    my ($t, $a, %body) = @_;
    return _change_ok("status $a", POST => $t, "agents/$a/status", \%body);
}

# ending a conversation: ($status, $json, $raw)
sub end_conv {
    my ($t, $id) = @_;
    return api(POST => "tenants/$t/conversations/$id/end", {},
               token => platform_token());
}

# the same, but it must succeed: its json
sub end_conv_ok {
    my ($t, $id) = @_;
    return _change_ok("end $id", POST => $t, "conversations/$id/end", {});
}

# customer($t, $id, owner => ..., private => ...)
sub customer {
    my ($t, $id, %body) = @_;
    return _change_ok("customer $id", PUT => $t, "customers/$id", \%body);
}

1;
