# issue #10 §4: an operator's first step on a fresh install.  The token
# command (conf-examples/token.sh) signs a platform token with the secret
# the nginx configuration names (csq_secret or csq_secret_file), and
# nginx takes it: the first tenant can be made.  Another secret's token,
# an expired one, and a role below platform are refused.

use strict;
use warnings;

use File::Temp ();
use Test::More;
use t::CsqUtil;
use t::CsqApi;

my $dir = File::Temp::tempdir('csq-token-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $secret_file = "$dir/secret";
open my $fh, '>', $secret_file or die $!;
print $fh "file-secret-0123456789ab\n";     # a trailing newline, as editors
close $fh;

redis_start();
nginx_start(log_level => 'info', http_config => <<"_EOC_",
    csq_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
    csq_secret_file $secret_file;
_EOC_
            conf => "location /api/ { csq_api; }\n");

my $conf = nginx_prefix() . '/conf/nginx.conf';

sub token {
    my $t = `bash conf-examples/token.sh @_`;
    chomp $t;
    return $t;
}

my $tk = token('-c', $conf);
like $tk, qr/^[\w-]+\.[\w-]+$/, 'a token from the configuration';

my ($s, $j, $raw) = api(PUT => 'tenants/first', { name => 'First' },
                        token => $tk);
is $s, 201, 'the first tenant is made with it' or diag $raw;

($s) = api(PUT => 'tenants/second', {}, token => token('-f', $secret_file));
is $s, 201, 'the same from the secret file itself';

($s) = api(PUT => 'tenants/third', {}, token => token('-s', 'another-secret'));
is $s, 401, "another secret's token is refused";

($s) = api(PUT => 'tenants/third', {},
           token => token('-c', $conf, '-e', '-10'));
is $s, 401, 'an expired token is refused';

($s) = api(PUT => 'tenants/third', {},
           token => token('-c', $conf, '-t', 'first', '-a', 'al', '-r',
                          'admin'));
is $s, 403, "a tenant admin's token may not make tenants";
($s) = api(GET => 'tenants/first', undef,
           token => token('-c', $conf, '-t', 'first', '-a', 'al', '-r',
                          'admin'));
is $s, 200, '... but reads its own tenant';

system('bash conf-examples/token.sh -s x -r king >/dev/null 2>&1');
isnt $? >> 8, 0, 'an unknown role is refused by the command';

nginx_stop();

is valgrind_report(), '', 'valgrind: clean';

done_testing();
