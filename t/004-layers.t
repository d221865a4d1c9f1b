# issue #10 §4: the C files read from the top down, with no cycle between
# them by what they call or use (.ci/layers.sh, nm on make's objects).

use strict;
use warnings;

use Test::More;

my $objs = 'build/nginx/objs/addon/ngx_csq_module';

plan skip_all => "needs the objects make leaves in $objs"
    unless glob("$objs/*.o");

my $out = `bash .ci/layers.sh 2>&1`;
is $? >> 8, 0, 'no cycle between the files' or diag $out;
like $out, qr/^ngx_csq_module -> .*ngx_csq_api/m,
    'the module definition uses the features';
unlike $out, qr/^ngx_csq_(?:redis|http|json|auth|redis_event) -> .*\bngx_csq_(?:api|chat\w*|pages|status|tick|login)\b/m,
    'helpers and the Redis layer use no feature';

done_testing();
