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
# Tokens are made here exactly as the module makes them:
# base64url("tenant|agent|role|expires") . "." . base64url(HMAC-SHA256).

use strict;
use warnings;

use Exporter 'import';
use Digest::SHA ();
use JSON::PP ();
use MIME::Base64 ();
use t::CsqUtil;

our @EXPORT = qw(api api_nginx_start csq_token platform_token $Secret
                 login_token setup_tenant);

our $Secret = '0123456789abcdef0123';

my $Json = JSON::PP->new->canonical->allow_nonref;

sub _b64url {
    my $s = MIME::Base64::encode_base64(shift, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub csq_token {
    my ($tenant, $agent, $role, $ttl, $secret) = @_;
    my $payload = join '|', $tenant, $agent // '', $role,
                  time + ($ttl // 3600);
    return _b64url($payload) . '.'
        . _b64url(Digest::SHA::hmac_sha256($payload, $secret // $Secret));
}

sub platform_token { return csq_token('*', '', 'platform') }

# nginx with the API on /api/ (extra http-level lines may be given)
sub api_nginx_start {
    my (%o) = @_;
    my $http = <<"_EOC_";
    csq_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT pool=2;
    csq_secret $Secret;
_EOC_
    $http .= $o{http_config} if $o{http_config};
    return nginx_start(workers => $o{workers} // 2,
                       log_level => $o{log_level} // 'info',
                       http_config => $http,
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

sub login_token {
    my ($tenant, $agent, $password, %o) = @_;
    my ($s, $j) = api(POST => "tenants/$tenant/login",
                      { agent => $agent, password => $password // 'password1' },
                      %o);
    die "login $agent: $s\n" unless $s == 200;
    return $j->{token};
}

# a tenant with queues and agents, everyone online unless told otherwise:
# setup_tenant('acme', queues => { sales => { strategy => ... } },
#              agents => { alice => { queues => ['sales'], capacity => 2,
#                                     status => 'online' } })
sub setup_tenant {
    my ($t, %o) = @_;
    my $p = platform_token();
    my ($s) = api(PUT => "tenants/$t", $o{tenant} || {}, token => $p);
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
    return $p;
}

1;
