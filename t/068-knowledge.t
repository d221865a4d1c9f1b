# issue #13 §2 (R4.10, seed 001 §7.3(3)): the knowledge base.  Internal
# articles for the agents, external ones for customers too (the chat
# page's FAQ bar, a card an agent shares); categories; found by words.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start(log_level => 'info');
my $P = setup_tenant('acme', queues => { sales => {} },
                     agents => { alice => { queues => ['sales'] },
                                 sue => { queues => ['sales'],
                                          role => 'supervisor' } },
                     fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice sue);

sub token_of { return $T{ $_[0] } // $_[0] }
sub call { return tenant_call('acme', token_of(shift), @_) }
sub ok_call { return tenant_call_ok('acme', token_of(shift), @_) }
sub ids { return [map { $_->{id} } @{ $_[0] }] }

my ($s) = call(alice => PUT => 'kb/returns', { title => 'x', body => 'y' });
is $s, 403, 'R4.10 articles are written by supervisors';
ok_call(sue => PUT => 'kb/returns',
        { title => 'Returns', category => 'Orders', external => JSON::PP::true,
          body => 'You may return an item within 30 days of delivery.' }, 201);
ok_call(sue => PUT => 'kb/fraud',
        { title => 'Spotting fraud', category => 'Internal',
          body => 'Check the delivery address against the card.' }, 201);
ok_call(sue => PUT => 'kb/shipping',
        { title => 'Shipping', category => 'Orders', external => JSON::PP::true,
          body => 'We ship in 2 days.' }, 201);

my $j = ok_call(alice => GET => 'kb');
is_deeply ids($j->{articles}), [qw(shipping fraud returns)],
          'R4.10 agents read every article, newest first';
is_deeply ids(ok_call(alice => GET => 'kb?q=DELIVERY')->{articles}),
          [qw(fraud returns)], '... found by a word in any case';
is_deeply ids(ok_call(alice => GET => 'kb?category=Orders')->{articles}),
          [qw(shipping returns)], '... by category';
is ok_call(alice => GET => 'kb/fraud')->{body},
   'Check the delivery address against the card.', '... whole';

# the customers' side: external ones only, no token
($s, $j) = api(GET => 'tenants/acme/kb/public');
is $s, 200, 'R4.10 the external articles, for the chat page (no token)';
is_deeply ids($j->{articles}), [qw(shipping returns)], '... no internal one';
($s, $j) = api(GET => 'tenants/acme/kb/public/returns');
like $j->{body}, qr/30 days/, '... an external one whole';
($s) = api(GET => 'tenants/acme/kb/public/fraud');
is $s, 404, '... an internal one: 404';
api(PUT => 'tenants/acme', { origins => ['https://shop.example'] }, token => $P);
my ($os) = http_request(GET => '/api/tenants/acme/kb/public', undef,
                        Origin => 'https://evil.example');
is $os, 403, '... and only for the tenant\'s sites';

($s) = call(sue => PUT => 'kb/big', { title => 'Big', body => 'x' x 20001 });
is $s, 400, 'at most 20,000 bytes an article';
($s) = call(sue => PUT => 'kb/public', { title => 'P', body => 'p' });
is $s, 400, 'no article named "public"';
ok_call(sue => DELETE => 'kb/shipping');
is_deeply ids(ok_call(alice => GET => 'kb')->{articles}), [qw(fraud returns)],
          'one deleted';
($s) = call(alice => GET => 'kb/shipping');
is $s, 404, '... and no longer read (404, not 200 false)';
($s) = api(GET => 'tenants/acme/kb/public/shipping');
is $s, 404, '... by customers neither';
($s) = call(alice => GET => 'kb/never-was');
is $s, 404, 'an article there never was: 404';

done_testing();
