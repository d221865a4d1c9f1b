# The RFC 6455 frame parser and the UTF-8 validator
# (ngx_csq_module/ngx_csq_ws_frame.c) checked directly, without a running
# nginx: t/unit/ws_frame_unit.c is compiled with them and prints TAP, which
# this file relays.  Every frame is also fed one byte at a time, so the
# parser's incremental paths are checked too; `make fuzz` (t/fuzz/) feeds
# it random input.  Builds against the configured nginx tree of `make`.

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
    't/unit/ws_frame_unit.c', "-o $dir/ws_frame_unit 2>&1";

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
