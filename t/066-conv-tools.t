# issue #13 §1 (R4.4, R4.6, R4.7, R8.5, R9.1): conversation tools.  The
# wrap-up of a conversation (topic and status from the tenant's lists, a
# service note of admin-defined fields, some required before it ends;
# locked once it has ended); private notes inside a conversation that
# never reach its customer; the customer's rating (CSAT) once it has
# ended; where a conversation may be transferred, with a note for the
# agent that takes it; pinned and hidden conversations of an agent.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use JSON::PP;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_trusted 127.0.0.1;\n");
my $P = setup_tenant('acme', tenant => { return_hours => 0 },
                     queues => { sales => {} },
                     agents => {
                         alice => { queues => ['sales'], capacity => 50 },
                         bob => { queues => ['sales'], capacity => 50,
                                  status => 'offline' },
                         sue => { queues => ['sales'], role => 'supervisor',
                                  status => 'offline' },
                         ada => { role => 'admin', status => 'offline' } },
                     fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob sue ada);
my $K = 'csq:{acme}:';

sub token_of { return $T{ $_[0] } // $_[0] }
sub call { return tenant_call('acme', token_of(shift), @_) }
sub ok_call { return tenant_call_ok('acme', token_of(shift), @_) }
sub code { return $_[0] && $_[0]{error} ? $_[0]{error}{code} : '' }

# --- the tenant's lists (admin)

my ($s, $j) = call(alice => PUT => 'wrapup', { topics => ['Billing'] });
is $s, 403, 'R4.6 the wrap-up lists are an admin\'s';
($s, $j) = call(ada => PUT => 'wrapup', { topics => { a => 1 } });
is $s, 400, '... arrays, not objects';
($s, $j) = call(ada => PUT => 'wrapup',
                { note_fields => [{ name => 'x', type => 'colour' }] });
is $s, 400, '... fields of known types';
ok_call(ada => PUT => 'wrapup', {
    topics => ['Billing', 'Shipping'], statuses => ['Solved', 'Open'],
    note_fields => [
        { name => 'order', label => 'Order', type => 'text',
          required => JSON::PP::true },
        { name => 'refund', type => 'number' },
        { name => 'channel', type => 'select', options => ['mail', 'phone'] } ],
});
$j = ok_call(alice => GET => 'wrapup');
is_deeply $j->{topics}, ['Billing', 'Shipping'], 'R4.6 agents read the topics';
is_deeply [map { $_->{name} } @{ $j->{note_fields} }],
          ['order', 'refund', 'channel'], '... and the note\'s fields';
ok $j->{note_fields}[0]{required}, '... which may be required';

# --- set during the conversation

my $c = arrive_ok('acme', customer => 'cu1');
is agent_of($c), 'alice', 'a conversation of alice\'s';
my $cid = $c->{id};
$j = ok_call(alice => POST => "conversations/$cid/wrapup",
             { topic => 'Billing', status => 'Open',
               note => { refund => 12.5 } });
is $j->{topic}, 'Billing', 'R4.6 its agent sets the topic';
is $j->{status}, 'Open', '... and status';
is_deeply $j->{note}, { refund => 12.5 }, '... and fields of the note';
($s, $j) = call(alice => POST => "conversations/$cid/wrapup",
                { topic => 'Weather' });
is $s, 400, '... only topics of the tenant\'s list';
($s, $j) = call(alice => POST => "conversations/$cid/wrapup",
                { note => { channel => 'fax' } });
is $s, 400, '... and note values of their type';
like $j->{error}{message}, qr/note\.channel/, '... naming the field';
($s) = call(bob => POST => "conversations/$cid/wrapup", { topic => 'Billing' });
is $s, 403, 'R9.1 another agent does not';
ok_call(sue => POST => "conversations/$cid/wrapup", { status => 'Solved' });

# --- a required field before the end

my $seq = redis_cmd('HGET', "${K}c:$cid", 'state');
($s, $j) = call(alice => POST => "conversations/$cid/end", {});
is $s, 409, 'R4.6 no end while a required field of the note is empty';
is code($j), 'note_required', '... note_required';
like $j->{error}{message}, qr/\border\b/, '... naming it';
is redis_cmd('HGET', "${K}c:$cid", 'state'), 'active', '... still going on';
$j = ok_call(alice => POST => "conversations/$cid/end",
             { reason => 'solved', note => { order => 'A-17' } });
is $j->{state}, 'ended', 'R4.5 the end with the note filled in, in one call';
is_deeply decode_json(redis_cmd('HGET', "${K}c:$cid", 'note')),
          { order => 'A-17', refund => 12.5 }, '... the note kept';
($s, $j) = call(alice => POST => "conversations/$cid/wrapup",
                { topic => 'Shipping' });
is $s, 409, 'R4.6 locked once it has ended';
is code($j), 'locked', '... locked';
is_deeply [map { $_->{id} } @{ ok_call(sue => GET =>
            'conversations?topic=Billing&wrap_status=Solved')->{conversations} }],
          [$cid], 'R5.5 the review finds it by topic and status';
is_deeply ok_call(sue => GET => 'conversations?wrap_status=Open')
              ->{conversations}, [], '... not by another status';
$j = ok_call(sue => GET => "conversations/$cid/messages");
is $j->{conversation}{wrapup}{topic}, 'Billing', 'the wrap-up in its records';
is $j->{conversation}{wrapup}{status}, 'Solved', '... with its status';

# --- private notes: agents only

my $c2 = arrive_ok('acme', customer => 'cu2');
my $ws = customer_socket('acme', $c2) or die "socket\n";
$ws->say('r1', text => 'hello') or die "say\n";
$j = ok_call(alice => POST => "conversations/$c2->{id}/notes",
             { text => 'VIP, be quick' }, 201);
is $j->{text}, 'VIP, be quick', 'a private note inside the conversation';
$ws->say('r2', text => 'still there?') or die "say\n";
my @got = $ws->drain(0.5);
ok !grep({ encode_json($_) =~ /VIP, be quick/ } @got),
   '... never sent to the customer';
my $log = redis_cmd('XRANGE', "${K}log:$c2->{id}", '-', '+');
ok !grep({ $_->[1][1] =~ /VIP, be quick/ } @$log), '... nor in its log';
$j = ok_call(alice => GET => "conversations/$c2->{id}/messages");
is $j->{notes}[0]{text}, 'VIP, be quick', '... agents read it with the messages';
($s) = call($c2->{customer_token}, POST => "conversations/$c2->{id}/notes",
            { text => 'x' });
is $s, 403, 'R9.1 a customer writes none';
($s) = call(bob => POST => "conversations/$c2->{id}/notes", { text => 'x' });
is $s, 403, 'R9.1 nor an agent that may not read the conversation';

# --- the customer's rating (CSAT)

($s, $j) = call($c2->{customer_token}, POST => "conversations/$c2->{id}/rating",
                { score => 5 });
is $s, 409, 'R8.5 no rating while the conversation goes on';
ok_call(alice => POST => "conversations/$c2->{id}/end",
        { note => { order => 'B-2' } });
($s) = call($c->{customer_token}, POST => "conversations/$c2->{id}/rating",
            { score => 5 });
is $s, 403, 'R9.1 a customer rates its own conversation only';
($s) = call($c2->{customer_token}, POST => "conversations/$c2->{id}/rating",
            { score => 6 });
is $s, 400, 'a score of 1 to 5';
$j = ok_call($c2->{customer_token}, POST => "conversations/$c2->{id}/rating",
             { score => 4, comment => 'quick, thanks' });
is $j->{score}, 4, 'R8.5 the customer rates it once it has ended';
($s, $j) = call($c2->{customer_token}, POST => "conversations/$c2->{id}/rating",
                { score => 1 });
is $s, 409, '... once';
is code($j), 'already_rated', '... already_rated';
is ok_call(sue => GET => 'figures')->{queues}[0]{rating}, 4,
   '... counted for its queue';
is_deeply [map { $_->{id} } @{ ok_call(sue => GET => 'conversations?rating=4')
                                   ->{conversations} }], [$c2->{id}],
          'R5.5 the review finds it by rating';
$ws->close;

# too late: a week after its end
redis_cmd('HSET', "${K}c:$cid", 'ended', int(time * 1000) - 8 * 86400000);
($s, $j) = call($c->{customer_token}, POST => "conversations/$cid/rating",
                { score => 3 });
is $s, 409, 'R8.5 no rating a week after the end';
is code($j), 'too_late', '... too_late';

# --- transfer: whom to, and a note for whoever takes it (R4.4)

set_status('acme', 'bob', status => 'online');
my $c3 = arrive_ok('acme', customer => 'cu3');
my $from = agent_of($c3);
my $to = $from eq 'alice' ? 'bob' : 'alice';
$j = ok_call($from => GET => "conversations/$c3->{id}/targets");
is $j->{agents}[0]{id}, $to, 'R4.4 the agents it may go to, those that can '
                              . 'take it first';
ok $j->{agents}[0]{can_take}, '... can take it now';
ok !$j->{agents}[-1]{can_take}, '... the others after (offline)';
ok !grep({ $_->{id} eq $from } @{ $j->{agents} }), '... not its own agent';
is_deeply [map { $_->{id} } @{ $j->{queues} }], ['sales'], '... and the queues';
($s) = call($to => GET => "conversations/$c3->{id}/targets");
is $s, 403, 'R9.1 only its agent or a supervisor asks';
ok_call($from => POST => "conversations/$c3->{id}/transfer",
        { agent => $to, note => 'Wants a refund for A-17' });
$j = ok_call($to => GET => "conversations/$c3->{id}/messages");
is $j->{notes}[0]{text}, 'Wants a refund for A-17',
   'R4.4 the transfer\'s note for the agent that takes it';
ok $j->{notes}[0]{transfer}, '... marked as the transfer\'s';

# --- pin and hide (R4.7)

$j = ok_call(alice => POST => "conversations/$cid/mark",
             { pinned => JSON::PP::true });
ok $j->{pinned}, 'R4.7 an agent pins a conversation of its list';
ok_call(alice => POST => "conversations/$c2->{id}/mark",
        { hidden => JSON::PP::true });
$j = ok_call(alice => GET => 'marks');
is_deeply $j->{pinned}, [$cid], '... its pins';
is_deeply $j->{hidden}, [$c2->{id}], '... and what it hid';
is_deeply ok_call(bob => GET => 'marks')->{pinned}, [], '... its own only';
ok_call(alice => POST => "conversations/$cid/mark",
        { pinned => JSON::PP::false });
is_deeply ok_call(alice => GET => 'marks')->{pinned}, [], '... unpinned';
($s) = call(bob => POST => "conversations/$cid/mark",
            { pinned => JSON::PP::true });
is $s, 403, 'R9.1 not a conversation it may not read';
($s) = call($P, POST => "conversations/$cid/mark", { pinned => JSON::PP::true });
is $s, 403, '... nor a platform token (pins are an agent\'s own)';
ok_call(alice => POST => "conversations/$cid/mark", { pinned => JSON::PP::true });
redis_cmd('DEL', "${K}c:$cid");
is_deeply ok_call(alice => GET => 'marks')->{pinned}, [],
          'a conversation deleted since is no pin';
ok_call(alice => POST => "conversations/$cid/mark",
        { pinned => JSON::PP::false });
is redis_cmd('ZCARD', "${K}a:alice:pins"), 0, '... and is let go of';

done_testing();
