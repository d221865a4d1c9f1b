# every configuration in conf-examples/ is accepted by nginx -t with the
# module loaded the way the example loads it

use strict;
use warnings;

use File::Path ();
use Test::More;

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $module = $ENV{TEST_NGINX_LOAD_MODULES} || 'build/ngx_http_csq_module.so';
my $prefix = 't/servroot-examples';

File::Path::remove_tree($prefix);
File::Path::make_path("$prefix/modules", "$prefix/logs");
system('cp', $module, "$prefix/modules/ngx_http_csq_module.so") == 0
    or die "cp $module: $?";

for my $conf (glob 'conf-examples/*.conf') {
    next if $conf =~ /redis\.conf$/;
    my $out = `$nginx -t -p $prefix/ -c $ENV{PWD}/$conf 2>&1`;
    is $?, 0, "$conf: nginx -t accepts it" or diag $out;
    like $out, qr/test is successful/, "$conf: test is successful";
}

File::Path::remove_tree($prefix);

done_testing();
