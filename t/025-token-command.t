# issue #10 §4: an operator's first step on a fresh install.  The token
# command (conf-examples/token.sh) signs a platform token with the secret
# the nginx configuration names (csq_secret or csq_secret_file), of the
# platform generation it names (csq_platform_generation, R9.5), and nginx
# takes it: the first tenant can be made.  Another secret's token, an
# expired one, one of another generation and a role that logs in are
# refused.

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
nginx_start(log_level => 'info', master => 1, http_config => <<"_EOC_",
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

system("bash conf-examples/token.sh -c $conf -t first -a al -r admin"
       . " >/dev/null 2>&1");
isnt $? >> 8, 0, 'an admin\'s token is refused by the command: admins log in';

# R9.5: the platform's generation
ok nginx_reload(http_config => <<"_EOC_"),
    csq_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
    csq_secret_file $secret_file;
    csq_platform_generation 7;
_EOC_
   'reload with csq_platform_generation 7';
($s) = api(GET => 'tenants/first', undef, token => $tk);
is $s, 401, "R9.5 the earlier generation's token is refused";
($s) = api(GET => 'tenants/first', undef, token => token('-c', $conf));
is $s, 200, '... the command makes one of the configured generation';
($s) = api(GET => 'tenants/first', undef,
           token => token('-f', $secret_file, '-g', 7));
is $s, 200, '... or of the one given';

system('bash conf-examples/token.sh -s x -r king >/dev/null 2>&1');
isnt $? >> 8, 0, 'an unknown role is refused by the command';

nginx_stop();

is valgrind_report(), '', 'valgrind: clean';

done_testing();
