# issue #13 §2 (R4.8, seed 004): quick replies.  The team's (supervisors
# edit them) and each agent's own, in categories and in an order of their
# own, found by words from the composer, imported and exported as CSV.

use strict;
use warnings;

use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

redis_start();
api_nginx_start(log_level => 'info');
setup_tenant('acme', queues => { sales => {} },
             agents => { alice => { queues => ['sales'] },
                         bob => { queues => ['sales'] },
                         sue => { queues => ['sales'], role => 'supervisor' } },
             fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob sue);

sub token_of { return $T{ $_[0] } // $_[0] }
sub call { return tenant_call('acme', token_of(shift), @_) }
sub ok_call { return tenant_call_ok('acme', token_of(shift), @_) }
sub titles { return [map { $_->{title} } @{ $_[0] }] }

ok_call(alice => PUT => 'quick-replies/mine/r1',
        { category => 'Greetings', title => 'Hello',
          text => 'Hello {customer_name}, I am {agent_name}.' });
ok_call(alice => PUT => 'quick-replies/mine/r2',
        { category => 'Orders', title => 'Refund', text => 'Your refund is on its way.' });
my $j = ok_call(alice => GET => 'quick-replies');
is_deeply titles($j->{mine}), ['Hello', 'Refund'],
          'R4.8 an agent\'s own quick replies, in their order';
is $j->{mine}[0]{text}, 'Hello {customer_name}, I am {agent_name}.',
   '... with their variables as written';
is_deeply ok_call(bob => GET => 'quick-replies')->{mine}, [],
          '... its own: another agent has none of them';

ok_call(alice => PUT => 'quick-replies/mine/r3',
        { category => 'Orders', title => 'Where is it', text => 'Let me check.',
          position => 1 });
is_deeply titles(ok_call(alice => GET => 'quick-replies')->{mine}),
          ['Where is it', 'Hello', 'Refund'], 'seed 004: put in a position';
ok_call(alice => PUT => 'quick-replies/mine/r2',
        { category => 'Orders', title => 'Refund', text => 'Your refund is on its way.',
          position => 1 });
is_deeply titles(ok_call(alice => GET => 'quick-replies')->{mine}),
          ['Refund', 'Where is it', 'Hello'], '... and moved';

my ($s) = call(alice => PUT => 'quick-replies/team/t1',
               { title => 'Hours', text => 'We open at 9.' });
is $s, 403, 'R9.1 the team\'s replies are a supervisor\'s';
ok_call(sue => PUT => 'quick-replies/team/t1',
        { category => 'Info', title => 'Hours', text => 'We open at 9, Monday to Friday.' });
ok_call(sue => PUT => 'quick-replies/team/t2',
        { category => 'Orders', title => 'Refund policy', text => '=30 days to return.' });
$j = ok_call(alice => GET => 'quick-replies');
is_deeply titles($j->{team}), ['Hours', 'Refund policy'], '... every agent uses them';

is_deeply titles(ok_call(alice => GET => 'quick-replies?q=REFUND')->{mine}),
          ['Refund'], 'R4.8 found by a word, in any case';
is_deeply titles(ok_call(alice => GET => 'quick-replies?q=refund')->{team}),
          ['Refund policy'], '... in the team\'s too';
is_deeply titles(ok_call(alice => GET => 'quick-replies?q=monday+open')->{team}),
          ['Hours'], '... every word of it, in the text';
is_deeply titles(ok_call(alice => GET => 'quick-replies?category=Orders')->{mine}),
          ['Refund', 'Where is it'], '... by category';

ok_call(alice => DELETE => 'quick-replies/mine/r3');
is_deeply titles(ok_call(alice => GET => 'quick-replies')->{mine}),
          ['Refund', 'Hello'], 'one deleted';
($s) = call(alice => DELETE => 'quick-replies/team/t1');
is $s, 403, 'R9.1 an agent deletes none of the team\'s';
($s) = call(alice => PUT => 'quick-replies/mine/r9', { title => 'x' });
is $s, 400, 'a reply has a text';

# CSV: the team's exported, imported as bob's own (seed 004)
my ($es, $eh, $csv) = http_request(GET =>
    '/api/tenants/acme/quick-replies/export?scope=team', undef,
    Authorization => "Bearer $T{bob}");
is $es, 200, 'seed 004: quick replies exported as CSV';
like $csv, qr/^category,title,text\r\nInfo,Hours,/, '... in their order';
like $csv, qr/'=30 days/, '... a formula defused';
$j = ok_call(bob => POST => 'quick-replies/import',
             { scope => 'mine', csv => $csv });
is $j->{added}, 2, '... and imported';
$j = ok_call(bob => GET => 'quick-replies?scope=mine');
is_deeply titles($j->{mine}), ['Hours', 'Refund policy'], '... in that order';
is $j->{mine}[1]{text}, '=30 days to return.', '... as they were written';
($s) = call(bob => POST => 'quick-replies/import', { scope => 'team', csv => $csv });
is $s, 403, 'R9.1 an agent imports no team replies';

# an import never takes the id of a reply there is
redis_cmd('HSET', 'csq:{acme}:tenant', 'qrseq', 0);
$j = ok_call(alice => POST => 'quick-replies/import',
             { scope => 'mine', csv => "category,title,text\r\nc,New,new one\r\n" });
is $j->{added}, 1, 'an import next to replies with ids like its own';
is_deeply titles(ok_call(alice => GET => 'quick-replies?scope=mine')->{mine}),
          ['Refund', 'Hello', 'New'], '... overwrites none of them';
ok_call(alice => DELETE => 'quick-replies/mine/' . ok_call(alice => GET =>
        'quick-replies?scope=mine&q=new')->{mine}[0]{id});

# at most 200 of an agent's own
my $many = join '', "category,title,text\r\n",
                    map { "c,t$_,text $_\r\n" } 1 .. 205;
$j = ok_call(alice => POST => 'quick-replies/import',
             { scope => 'mine', csv => $many });
is $j->{added}, 198, 'at most 200 of an agent\'s own';
like $j->{errors}[0]{message}, qr/at most 200/, '... the others refused';
($s, $j) = call(alice => PUT => 'quick-replies/mine/rx', { text => 'more' });
is $s, 409, '... and one more refused';
is $j->{error}{code}, 'too_many_replies', '... too_many_replies';

# the team's beyond 200: the composer gets 200 of each scope, a scope asked
# alone comes whole (the workbench's management dialog orders all of it)
my $team = join '', "category,title,text\r\n",
                    map { "c,team $_,text $_\r\n" } 1 .. 203;
$j = ok_call(sue => POST => 'quick-replies/import',
             { scope => 'team', csv => $team });
is $j->{added}, 203, 'the team has 205 quick replies';
is scalar @{ ok_call(alice => GET => 'quick-replies')->{team} }, 200,
   '... the composer gets 200 of them';
$j = ok_call(alice => GET => 'quick-replies?scope=team');
is scalar @{ $j->{team} }, 205, '#13 §2 ... the team\'s asked alone, all of them';
is $j->{team}[204]{title}, 'team 203', '... in their order, the last one last';

done_testing();
