# issue #12 §1 (R6.1-R6.3, R9.1): the customer library.  A record on
# first contact, matched by id, then (when the tenant vouches for them)
# phone and email; business fields; the library's views (mine, the public
# pool, all) with their rights; batch changes; merge; notes; favorites in
# groups; the blacklist refusing arrivals; CSV import and export.

use strict;
use warnings;

use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_tick 0;\n    csq_trusted 127.0.0.1;\n",
                conf => "location /big/ {\n    csq_api;\n"
                        . "    csq_max_body 2m;\n}\n");
my $P = setup_tenant('acme', queues => { sales => {} },
                     agents => {
                         alice => { queues => ['sales'], capacity => 50 },
                         bob => { queues => ['sales'], capacity => 50,
                                  status => 'offline' },
                         sue => { queues => ['sales'], role => 'supervisor',
                                  status => 'offline' },
                         ada => { role => 'admin', status => 'offline' } },
                     fallback => 'sales');
setup_tenant('globex', queues => { q => {} },
             agents => { gil => { queues => ['q'] } }, fallback => 'q');

my %T = map { $_ => login_token('acme', $_) } qw(alice bob sue ada);
my $gil = login_token('globex', 'gil');

# as an agent of acme (its name) or with a token
sub token_of { return ref $_[0] ? ${ $_[0] } : $T{ $_[0] } }
sub call { return tenant_call('acme', token_of(shift), @_) }
sub ok_call { return tenant_call_ok('acme', token_of(shift), @_) }

sub code { return $_[0] && $_[0]{error} ? $_[0]{error}{code} : '' }

# --- a record on first contact (R6.1)

my $c1 = arrive_ok('acme', customer => 'v1', name => 'Li Lei',
                   phone => '+86 138-0013-8000');
my $j = ok_call(alice => GET => 'customers/v1');
is $j->{id}, 'v1', 'R6.1 an arrival makes the customer\'s record';
is $j->{name}, 'Li Lei', '... with the name it gave';
is $j->{phone}, '+8613800138000', '... and its phone, normalized';
is $j->{conversations}, 1, '... and its conversation';
is $c1->{customer_name}, 'Li Lei', '... whose view names the customer';
ok !$j->{library}, '... not in the library yet';
is redis_cmd('HGET', 'csq:{acme}:ident', 'p:+8613800138000'), undef,
   '... an anonymous visitor\'s phone is never matched on';

my ($s) = call(\'', GET => 'customers/v1');
is $s, 401, 'R9.1 no token: 401';
($s) = api(GET => 'tenants/acme/customers/v1', undef, token => $gil);
is $s, 403, 'R9.1 an agent of another tenant: 403';
($s) = api(GET => 'tenants/acme/customers/v1', undef,
           token => $c1->{customer_token});
is $s, 403, 'R9.1 a customer\'s token: 403';

# a customer the staff know, by phone and email
$j = ok_call(alice => PUT => 'customers/k1',
             { name => 'Han Meimei', phone => '139 0000 1111',
               email => ' Han@Example.COM ', company => 'Acme' }, 201);
is $j->{email}, 'han@example.com', 'an email is kept in lower case';

# the tenant vouches (a staff token, or a signed customer): matched
api(POST => 'tenants/acme/conversations',
             { customer => 'wx-7', phone => '139-0000-1111' },
             token => $P);
$j = ok_call(alice => GET => 'customers/wx-7');
is $j->{id}, 'k1', 'R6.1 a vouched-for phone finds the customer';
is $j->{conversations}, 1, '... and the conversation is its';
my ($ks) = ok_call(ada => GET => 'identity')->{identity_key};
my $c3 = arrive_ok('acme', customer => 'shop-42',
                   customer_hash => hmac_sha256_hex('shop-42', $ks),
                   email => 'HAN@example.com');
is ok_call(alice => GET => 'customers/shop-42')->{id}, 'k1',
   'R6.1 a signed customer\'s email finds it too';
is ok_call(alice => GET => 'customers/k1')->{conversations}, 2,
   '... two conversations now';
arrive_ok('acme', customer => 'v9', email => 'han@example.com');
is ok_call(alice => GET => 'customers/v9')->{id}, 'v9',
   '... an anonymous visitor claiming that email is another customer';

($s, $j) = call(alice => PUT => 'customers/v9', { phone => '13900001111' });
is $s, 409, 'R6.1 a phone another customer has: 409';
is code($j), 'duplicate', '... duplicate';
like $j->{error}{message}, qr/k1/, '... naming the other customer';

# --- business fields (R6.1)

($s) = call(alice => PUT => 'customer-fields', { fields => [] });
is $s, 403, 'business fields are an admin\'s';
($s, $j) = call(ada => PUT => 'customer-fields',
                { fields => [{ name => 'x', type => 'colour' }] });
is $s, 400, 'an unknown field type: 400';
($s, $j) = call(ada => PUT => 'customer-fields',
                { fields => { name => 'x' } });
is $s, 400, 'an object for the fields\' array: 400';
ok_call(ada => PUT => 'customer-fields', { fields => [
    { name => 'level', label => 'Level', type => 'select',
      options => ['gold', 'silver'] },
    { name => 'orders', type => 'number' },
    { name => 'birthday', type => 'date' },
    { name => 'likes', type => 'multiselect', options => ['tea', 'cake'] },
    { name => 'notes', type => 'text' },
    { name => 'mobile2', type => 'phone' },
    { name => 'mail2', type => 'email' } ] });
$j = ok_call(alice => GET => 'customer-fields');
is scalar @{ $j->{fields} }, 7, 'agents read the fields';
is $j->{fields}[0]{label}, 'Level', '... in their order';

$j = ok_call(alice => PUT => 'customers/k1', { fields => {
    level => 'gold', orders => 12, birthday => '1990-02-28',
    likes => ['tea'], mobile2 => '(010) 1234 5678', mail2 => 'A@B.cn' } });
is_deeply $j->{fields}, { level => 'gold', orders => 12,
                          birthday => '1990-02-28', likes => ['tea'],
                          mobile2 => '01012345678', mail2 => 'a@b.cn' },
          'R6.1 business fields, checked and kept';
for my $bad ([level => 'bronze'], [orders => '12'], [birthday => '1990-13-01'],
             [likes => ['coffee']], [mobile2 => 'call me'],
             [mail2 => 'nope'], [colour => 'red'])
{
    ($s, $j) = call(alice => PUT => 'customers/k1',
                    { fields => { $bad->[0] => $bad->[1] } });
    is $s, 400, "a bad $bad->[0]: 400";
    like $j->{error}{message}, qr/fields\.$bad->[0]/, '... naming it';
}
$j = ok_call(alice => PUT => 'customers/k1', { fields => { orders => undef } });
ok !exists $j->{fields}{orders}, 'null removes a field\'s value';
is $j->{fields}{level}, 'gold', '... the others stay';
$j = ok_call(alice => PUT => 'customers/k1', { fields => { likes => [] } });
ok !exists $j->{fields}{likes},
   'a multiselect with none chosen has no value (not {} read back)';

# --- the library and its views (R6.2)

$j = ok_call(alice => PUT => 'customers/k1', { library => JSON::PP::true,
                                               tags => ['vip', 'vip', 'b2b'] });
ok $j->{library}, 'R6.1 an agent adds a customer to the library';
is_deeply $j->{tags}, ['vip', 'b2b'], '... tags, once each';
is $j->{owner}, undef, '... nobody\'s: the public pool';
my $pool = ok_call(bob => GET => 'customers?view=pool');
is_deeply [map { $_->{id} } @{ $pool->{customers} }], ['k1'],
          'R6.2 the pool view';
($s) = call(bob => GET => 'customers?view=all');
is $s, 403, 'R9.1 the whole library is for supervisors';
($s, $j) = call(alice => PUT => 'customers/k1', { owner => 'bob' });
is $s, 403, 'R6.2 an agent gives no customer to another';
ok_call(alice => PUT => 'customers/k1', { owner => 'alice' });
is_deeply [map { $_->{id} } @{ ok_call(alice => GET => 'customers')
                                   ->{customers} }], ['k1'],
          'R6.2 ... it takes one from the pool: "mine"';
is scalar @{ ok_call(bob => GET => 'customers?view=pool')->{customers} }, 0,
   '... out of the pool';
($s, $j) = call(bob => GET => 'customers/k1');
is $s, 403, 'R9.1 another agent\'s customer is hidden from an agent';
($s) = call(bob => PUT => 'customers/k1', { name => 'x' });
is $s, 403, '... and kept from its changes';
($s) = call(bob => GET => 'customers?owner=alice');
is $s, 403, '... and its list';
is scalar @{ ok_call(sue => GET => 'customers?owner=alice')->{customers} }, 1,
   'a supervisor lists any agent\'s';
ok_call(sue => GET => 'customers/k1');
($s) = call(bob => PUT => 'customers/k1', { private => JSON::PP::true });
is $s, 403, '"private" is a supervisor\'s';

# bob serves one of its conversations: bob may see it from then on
redis_cmd('SADD', 'csq:{acme}:cust:k1:served', 'bob');
is ok_call(bob => GET => 'customers/k1')->{id}, 'k1',
   'R9.1 an agent sees the customers it served';
redis_cmd('SREM', 'csq:{acme}:cust:k1:served', 'bob');

# paging: newest first, by the library's own order
for my $i (1 .. 7) {
    ok_call(alice => PUT => "customers/p$i",
            { library => JSON::PP::true, owner => 'alice',
              tags => [$i % 2 ? 'odd' : 'even'] }, 201);
}
my (@seen, $next);
do {
    $j = ok_call(alice => GET => 'customers?limit=3'
                                 . (defined $next ? "&before=$next" : ''));
    push @seen, map { $_->{id} } @{ $j->{customers} };
    $next = $j->{next};
} while (defined $next && @seen < 20);
is_deeply \@seen, [qw(p7 p6 p5 p4 p3 p2 p1 k1)],
          'R6.2 "mine" in pages of 3, newest first, each once';
is_deeply [map { $_->{id} } @{ ok_call(alice => GET => 'customers?tag=odd')
                                   ->{customers} }], [qw(p7 p5 p3 p1)],
          '... by tag';

# --- a batch: a supervisor moves 1,000 customers in one call

my @many = map { "m$_" } 1 .. 1000;
my $csv = join '', "id,name,tags\r\n", map { "$_,Name $_,bulk\r\n" } @many;
my ($bs, $bj) = big(POST => 'customers/import', { csv => $csv }, $T{sue});
is $bs, 200, 'an import of 1,000 rows';
is $bj->{created}, 1000, '... 1,000 customers made';
is redis_cmd('ZCARD', 'csq:{acme}:lib:pool'), 1000, '... in the pool';

($s, $j) = call(alice => POST => 'customers/batch',
                { customers => \@many, owner => 'bob' });
is $s, 200, 'an agent\'s batch ...';
is $j->{updated}, 0, '... moves none to another agent';
is scalar @{ $j->{failed} }, 1000, '... each refused';
is $j->{failed}[0]{code}, 'forbidden', '... forbidden';

$j = ok_call(sue => POST => 'customers/batch',
             { customers => \@many, owner => 'bob', add_tags => ['moved'],
               remove_tags => ['bulk'] });
is $j->{updated}, 1000, 'R6.2 a supervisor moves 1,000 customers in one call';
is_deeply $j->{failed}, [], '... none failed';
$j = ok_call(sue => POST => 'customers/batch',
             { customers => ['m1', 'nobody', 'bad id!', 'm1', 'm2'],
               add_tags => ['x'] });
is $j->{updated}, 2, 'a batch with bad entries changes the others';
is_deeply [sort map { "$_->{customer}:$_->{code}" } @{ $j->{failed} }],
          ['bad id!:invalid_field', 'm1:duplicate', 'nobody:not_found'],
          '... and says which failed and why';
is redis_cmd('ZCARD', 'csq:{acme}:lib:owner:bob'), 1000, '... all bob\'s';
is redis_cmd('ZCARD', 'csq:{acme}:lib:pool'), 0, '... none in the pool';
is redis_cmd('ZCARD', 'csq:{acme}:lib:tag:moved'), 1000, '... tagged';
is redis_cmd('ZCARD', 'csq:{acme}:lib:tag:x'), 2, '... tags added';
is redis_cmd('ZCARD', 'csq:{acme}:lib:tag:bulk'), 0, '... untagged';
($s, $j) = call(sue => POST => 'customers/batch',
                { customers => [map { "x$_" } 1 .. 1001], owner => 'bob' });
is $s, 400, 'at most 1,000 a batch';

# --- merge (R6.1): one person reached two ways

my $ca = arrive_ok('acme', customer => 'va');
my $cb = arrive_ok('acme', customer => 'vb');
ok_call(alice => PUT => 'customers/va', { name => 'Wang', tags => ['a'] });
ok_call(alice => PUT => 'customers/vb', { phone => '+1 555 0100',
                                          email => 'w@x.io', tags => ['b'],
                                          company => 'X' });
ok_call(alice => POST => 'customers/vb/notes', { text => 'called back' }, 201);
ok_call(ada => PUT => 'favorite-groups', { groups => ['hot'] });
ok_call(ada => PUT => 'favorites/vb', { group => 'hot' });
$j = ok_call(alice => POST => 'customers/va/merge', { from => 'vb' });
is $j->{id}, 'va', 'R6.1 two records merge into one';
is $j->{name}, 'Wang', '... its own name stays';
is $j->{company}, 'X', '... what it lacked comes from the other';
is $j->{phone}, '+15550100', '... its phone too';
is_deeply $j->{tags}, ['a', 'b'], '... both tags';
is $j->{conversations}, 2, '... every conversation';
is $j->{notes}[0]{text}, 'called back', '... every note';
is_deeply $j->{aliases}, ['vb'], '... the other id is one of its';
is ok_call(alice => GET => 'customers/vb')->{id}, 'va',
   '... which leads to it';
is redis_cmd('EXISTS', 'csq:{acme}:cust:vb'), 0, '... the other is gone';
is ok_call(ada => GET => 'favorites')->{favorites}[0]{customer}, 'va',
   '... and a favorite of it follows';
api(POST => 'tenants/acme/conversations',
    { customer => 'crm-9', phone => '+15550100' }, token => $P);
is ok_call(alice => GET => 'customers/crm-9')->{id}, 'va',
   '... its phone finds it';
is ok_call(alice => GET => 'customers/va')->{conversations}, 3,
   '... and the new conversation is its';
($s, $j) = call(alice => POST => 'customers/va/merge', { from => 'vb' });
is $s, 409, 'a merge with itself: 409';
is code($j), 'same_customer', '... same_customer';

# --- notes (R6.5)

($s) = call(alice => POST => 'customers/va/notes', { text => '' });
is $s, 400, 'an empty note: 400';
redis_cmd('ZADD', 'csq:{acme}:cust:p1:notes',
          map { ($_, "{\"id\":\"x$_\"}") } 1 .. 1000);
($s, $j) = call(alice => POST => 'customers/p1/notes', { text => 'more' });
is $s, 409, 'at most 1,000 notes a customer';
is code($j), 'too_many_notes', '... too_many_notes';

# --- favorites in groups (R6.3)

ok_call(alice => PUT => 'favorite-groups', { groups => ['a', 'b'] });
ok_call(alice => PUT => 'favorites/p1', { group => 'b' });
ok_call(alice => PUT => 'favorites/p2', { group => 'a' });
ok_call(alice => PUT => 'favorites/p3', {});
($s) = call(alice => PUT => 'favorites/p4', { group => 'zzz' });
is $s, 400, 'R6.3 a favorite in a group one does not have: 400';
($s) = call(bob => PUT => 'favorites/p1', {});
is $s, 403, 'R9.1 a customer one may not see is no favorite';
$j = ok_call(alice => GET => 'favorites');
is_deeply [map { "$_->{customer}:$_->{group}" } @{ $j->{favorites} }],
          ['p3:', 'p2:a', 'p1:b'], 'R6.3 favorites by their groups\' order';
ok_call(alice => PUT => 'favorite-groups', { groups => ['c', 'b'],
                                             rename => { a => 'c' } });
$j = ok_call(alice => GET => 'favorites');
is_deeply [map { "$_->{customer}:$_->{group}" } @{ $j->{favorites} }],
          ['p3:', 'p2:c', 'p1:b'], '... a renamed group keeps its own';
ok_call(alice => PUT => 'favorite-groups', { groups => ['b'] });
$j = ok_call(alice => GET => 'favorites');
is_deeply [map { "$_->{customer}:$_->{group}" } @{ $j->{favorites} }],
          ['p2:', 'p3:', 'p1:b'], '... a removed group\'s have none';
ok_call(alice => DELETE => 'favorites/p2');
is scalar @{ ok_call(alice => GET => 'favorites')->{favorites} }, 2,
   '... unstarred';
is scalar @{ ok_call(bob => GET => 'favorites')->{favorites} }, 0,
   '... each agent has its own';
redis_cmd('HSET', 'csq:{acme}:a:bob:fav', map { ("f$_", '') } 1 .. 1000);
($s, $j) = call(bob => PUT => 'favorites/v9', {});
is $s, 409, 'at most 1,000 favorites an agent';
is code($j), 'too_many_favorites', '... too_many_favorites';

# --- the blacklist (seed 000 §3)

my $bl = arrive_ok('acme', customer => 'troll');
end_conv_ok('acme', $bl->{id});
ok_call(alice => PUT => 'blacklist/troll', { reason => 'abuse' });
my $seq = redis_cmd('HGET', 'csq:{acme}:tenant', 'seq');
($s, $j) = arrive('acme', customer => 'troll');
is $s, 403, 'a blacklisted customer\'s arrival: 403';
is code($j), 'blacklisted', '... blacklisted';
is $j->{error}{message}, 'Sorry, we cannot take your conversation.',
   '... with the default text';
is redis_cmd('HGET', 'csq:{acme}:tenant', 'seq'), $seq,
   '... and no conversation made';
api(PUT => 'tenants/acme', { blacklist_text => 'Go away.' }, token => $P);
ok_call(sue => POST => 'customers/troll/merge', { from => 'v1' });
($s, $j) = arrive('acme', customer => 'v1');
is $s, 403, '... nor under another of its ids';
is $j->{error}{message}, 'Go away.', '... with the tenant\'s text';
$j = ok_call(sue => GET => 'blacklist');
is_deeply [map { "$_->{id}:$_->{reason}:$_->{by}" } @{ $j->{customers} }],
          ['troll:abuse:alice'], 'the blacklist, for supervisors';
($s) = call(alice => GET => 'blacklist');
is $s, 403, '... not agents';
($s) = call(alice => DELETE => 'blacklist/troll');
is $s, 403, 'an agent does not take one off it';
ok_call(sue => DELETE => 'blacklist/troll');
($s) = arrive('acme', customer => 'troll');
is $s, 201, 'a supervisor does: it may come again';

# --- import and export (CSV)

my @rows = ("id,name,phone,email,owner,tags,level,field:orders\r\n");
for my $i (1 .. 10000) {
    push @rows, $i == 10 ? "i10,Ten,12,,,,,\r\n"           # a bad phone
              : $i == 20 ? "i20,Twenty,,,nobody,,,\r\n"    # a bad owner
              : $i == 30 ? "i30,,,,,,bronze,\r\n"          # a bad option
              : $i == 40 ? "i40,\"Quote, \"\"Q\"\"\",,,,a;b,gold,7\r\n"
              : $i == 50 ? "i50,'=SUM(A1),,,,,,\r\n"
              : "i$i,Name $i,+861380000" . sprintf('%04d', $i)
                . ",,alice,imp,silver,$i\r\n";
}
($s, $j) = big(POST => 'customers/import', { csv => join '', @rows }, $T{sue});
is $s, 200, 'an import of 10,000 rows in one call';
is $j->{created}, 9997, '... makes the customers';
is_deeply [map { "$_->{row}" } @{ $j->{errors} }], [11, 21, 31],
          '... and says which rows failed, numbered as in the file';
like $j->{errors}[0]{message}, qr/phone/, '... and why';
$j = ok_call(sue => GET => 'customers/i40');
is $j->{name}, 'Quote, "Q"', 'quoted CSV fields';
is_deeply $j->{tags}, ['a', 'b'], 'tags separated by ;';
is_deeply $j->{fields}, { level => 'gold', orders => 7 },
          'business fields by name and as field:<name>';
is ok_call(sue => GET => 'customers/i50')->{name}, '=SUM(A1)',
   'a defused formula comes back as it was';
is ok_call(sue => GET => 'customers/i9')->{owner}, 'alice', 'owners';

my @again = ("name,phone\r\n", "Renamed,+86 1380000 0009\r\n");
$j = (big(POST => 'customers/import', { csv => join '', @again }, $T{sue}))[1];
is $j->{updated}, 1, 'a row with no id is matched by its phone';
is ok_call(sue => GET => 'customers/i9')->{name}, 'Renamed', '... and updated';
($s, $j) = big(POST => 'customers/import', { csv => "id,colour\r\n1,red\r\n" },
               $T{sue});
is $s, 400, 'an unknown column: 400';
($s) = big(POST => 'customers/import', { csv => "id\r\nx\r\n" }, $T{alice});
is $s, 403, 'imports are a supervisor\'s';

my ($es, $eh, $body) = http_request(GET =>
    '/api/tenants/acme/customers/export?owner=alice&tag=imp&limit=2000',
    undef, Authorization => "Bearer $T{sue}");
is $es, 200, 'an export';
like $eh->{'content-type'} // '', qr{^text/csv}, '... CSV';
my @lines = split /\r\n/, $body;
is scalar @lines, 2001, '... a page of 2,000 rows and the header';
like $lines[0], qr/^id,name,phone,email,company,owner,tags/, '... named';
ok $eh->{'x-csq-next'}, '... and where the next page starts';
redis_cmd('CONFIG', 'RESETSTAT');
($es, $eh, $body) = http_request(GET =>
    "/api/tenants/acme/customers/export?view=all&limit=10000", undef,
    Authorization => "Bearer $T{sue}");
like $body, qr/^i50,'=SUM\(A1\),/m, 'a formula is defused in an export';
my @rowsx = split /\r\n/, $body;
is scalar @rowsx, 10001, 'an export of 10,000 rows in one request';
is scalar(grep { /^id,name,/ } @rowsx), 1, '... one header';
my ($ro) = redis_cmd('INFO', 'commandstats') =~ /cmdstat_fcall_ro:calls=(\d+)/;
cmp_ok $ro, '>=', 10, "R9.6 ... read by Redis calls of 1,000 rows ($ro)";

# an export imports back (its own columns are left alone)
my @exp = split /\r\n/, $body;
my $back = join '', map { "$_\r\n" } @exp[0 .. 3];
($s, $j) = big(POST => 'customers/import', { csv => $back }, $T{sue});
is $s, 200, 'an export imports back';
is $j->{updated}, 3, '... updating its customers';
is $j->{failed}, 0, '... none failing';

# --- what the review of this library found (each seen failing first)

# a contact matched by a vouched-for phone is one of the customer's ids
is_deeply ok_call(alice => GET => 'customers/k1')->{aliases}, ['wx-7', 'shop-42'],
          'R6.1 contacts matched by phone or email are the customer\'s ids';

# the staff giving a visitor's own phone again vouches for it
api(POST => 'tenants/acme/conversations', { customer => 'typed', phone => '+1 555 0199' });
ok_call(alice => PUT => 'customers/typed', { phone => '+1 555 0199' });
api(POST => 'tenants/acme/conversations',
    { customer => 'crm-77', phone => '+15550199' }, token => $P);
is ok_call(alice => GET => 'customers/crm-77')->{id}, 'typed',
   'R6.1 a phone a visitor typed, given again by an agent, is matched on';

# a batch with an unknown owner is refused whole
($s, $j) = call(sue => POST => 'customers/batch',
                { customers => ['m1', 'm2'], owner => 'nobody' });
is $s, 400, 'a batch to an unknown owner: 400 for the whole batch';

# favorites show only customers the agent may still see
ok_call(alice => PUT => 'customers/starred', { name => 'S' }, 201);
ok_call(alice => PUT => 'favorites/starred', {});
ok_call(sue => PUT => 'customers/starred', { owner => 'bob' });
ok !grep({ $_->{customer} eq 'starred' } @{ ok_call(alice => GET => 'favorites')
                                                ->{favorites} }),
   'R9.1 a starred customer that became another agent\'s is not shown';

# a record that nothing keeps any more goes back under retention
ok_call(sue => PUT => 'customers/typed', { owner => undef });
ok defined redis_cmd('ZSCORE', 'csq:{acme}:customers', 'typed'),
   'R9.6 a customer let go is under retention again';

# page views are a visitor's
($s) = api(POST => 'tenants/acme/track', { url => 'https://x.example/' },
           token => $T{alice});
is $s, 403, 'an agent\'s token reports no page view';

# the blacklist pages by (time, id): none skipped in a millisecond
redis_cmd('ZADD', 'csq:{acme}:blacklist', map { (1_800_000_000_000, "bl$_") }
          1 .. 5);
my (@bl, $bn);
do {
    $j = ok_call(sue => GET => 'blacklist?limit=2' . ($bn ? "&before=$bn" : ''));
    push @bl, map { $_->{id} } @{ $j->{customers} };
    $bn = $j->{next};
} while ($bn && @bl < 20);
is scalar(grep { /^bl/ } @bl), 5, 'the blacklist in pages: each once';

# a big body goes only where csq_max_body lets it
sub big {
    my ($method, $path, $b, $token) = @_;
    my $raw = JSON::PP->new->encode($b);
    my ($s, $h, $resp) = http_request($method, "/big/tenants/acme/$path", $raw,
                                      'Content-Type' => 'application/json',
                                      Authorization => "Bearer $token");
    return ($s, eval { decode_json($resp) }, $resp);
}

done_testing();
