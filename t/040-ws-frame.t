# issue #5 groundwork: the RFC 6455 frame parser and the UTF-8 validator
# checked directly (t/ws_frame_unit.c, TAP), before they are wired into
# nginx.  Builds against the configured nginx tree of `make`.

use strict;
use warnings;

use File::Path ();
use Test::More;

my $tree = 'build/nginx';
plan skip_all => "$tree is not configured (run make)"
    unless -f "$tree/objs/ngx_auto_config.h";

my $dir = 't/servroot-unit';
File::Path::make_path($dir);

my @inc = map { "-I$tree/$_" }
          qw(src/core src/event src/event/modules src/os/unix objs);
my $cmd = join ' ', 'cc -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter',
    @inc, '-Ingx_csq_module', 'ngx_csq_module/ngx_csq_ws_frame.c',
    't/ws_frame_unit.c', "-o $dir/ws_frame_unit 2>&1";

my $out = `$cmd`;
is $?, 0, 'the unit checks build' or diag $out;

my $tap = `$dir/ws_frame_unit`;
my @lines = split /\n/, $tap;
my ($plan) = grep { /^1\.\.\d+$/ } @lines;
ok $plan, 'the unit checks ran to the end';

for my $line (grep { /^(?:not )?ok / } @lines) {
    my ($ok, $name) = $line =~ /^(not )?ok \d+ - (.*)$/;
    ok !$ok, $name;
}
diag $_ for grep { /^#/ } @lines;

File::Path::remove_tree($dir);

done_testing();
