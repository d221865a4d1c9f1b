# issue #6: the robot and the texts, over the customer socket.
#  - R4.3 the welcome is in the log on entry (so the page shows it within
#    a second of connecting); a weekly slot's welcome replaces the plain
#    one while it is on; queued and suspended texts follow routing;
#  - R4.2 keyword rules: exact and contains, the first match answers with
#    its replies in order, at most 5, with interaction links;
#  - R4.1 a robot-first queue hands off only on a whole-message keyword
#    ("你好" hands off, "你好棒" does not); then human routing, and the
#    robot is quiet; "human" queues skip the robot; "no agent" queues
#    only ever answer with the welcome and keywords.

use strict;
use warnings;


use Test::More;
use Time::HiRes qw(sleep time);
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info');

# today's weekday (1 Monday .. 7 Sunday), UTC (the tenant's offset is 0)
my $wday = (gmtime)[6] || 7;
my $other = $wday % 7 + 1;

my $p = setup_tenant('acme',
    queues => {
        bot => { mode => 'robot', handoff_keywords => ['你好', 'agent'],
                 welcome_text => 'Hello, I am the bot',
                 queued_text => 'Please wait for an agent' },
        human => { welcome_text => 'Welcome to human support' },
        faq => { mode => 'noagent',
                 welcome_slots => [
                     { days => [$wday], from => '00:00', to => '24:00',
                       text => 'Good day from the slot' },
                     { days => [$other], from => '00:00', to => '24:00',
                       text => 'Another day' } ],
                 welcome_text => 'Plain welcome' },
    },
    agents => { alice => { queues => ['bot', 'human'], capacity => 2 } });

my ($s, $j) = api(PUT => 'tenants/acme/keywords', { rules => [
    { match => 'exact', keyword => 'price',
      replies => [ { text => 'From 9 EUR',
                     actions => [ { label => 'Buy', send => 'buy now' } ] } ] },
    { match => 'contains', keyword => 'refund',
      replies => [ map { { text => "refund step $_" } } 1 .. 5 ] },
    { match => 'contains', keyword => 'buy',
      replies => [ { text => 'Great choice' } ] },
    { match => 'contains', keyword => 'refund policy',
      replies => [ { text => 'never reached: the rule above matches first' } ] },
] }, token => $p);
is $s, 200, 'keyword rules are set';

sub visit {
    my ($queue, $id) = @_;
    my $c = arrive_ok('acme', customer => $id, queue => $queue);
    my $t0 = time;
    my $ws = ws_open("/api/tenants/acme/chat/ws?token=$c->{customer_token}"
                     . "&conversation=$c->{id}");
    my $h = $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' });
    $ws->{c} = $c;
    # the first text of the log: when it came
    my $first = $ws->wait_json(sub { ($_[0]{kind} // '') eq 'text' }, 2);
    $ws->{first} = $first;
    $ws->{lat} = time - $t0;
    return $ws;
}

# the texts (kind text) a socket gets within $secs
sub said {
    my ($ws, $secs) = @_;
    my @t;
    while (my $m = $ws->wait_json(sub { $_[0]{type} eq 'message'
                                        && ($_[0]{kind} // '') eq 'text' },
                                  $secs // 0.5)) {
        push @t, $m;
    }
    return @t;
}

sub send_text {
    my ($ws, $text) = @_;
    my $ref = 'r' . int(rand(1e9));
    $ws->send_json({ type => 'message', text => $text, ref => $ref });
    return $ws->wait_json(sub { ($_[0]{ref} // '') eq $ref
                                && $_[0]{type} =~ /^(ack|error)$/ });
}

sub bot_texts {
    my ($ws) = @_;
    return map { $_->{text} } grep { $_->{from}{role} eq 'bot' } said($ws);
}

# --- R4.3 welcome on entry

my $b1 = visit('bot', 'u1');
my $w = $b1->{first};
is $w && $w->{text}, 'Hello, I am the bot', 'R4.3 the welcome comes first';
is $w && $w->{from}{role}, 'bot', '... from the robot';
is $w && $w->{from}{name}, 'acme', '... named after the tenant';
cmp_ok $b1->{lat}, '<', 1,
    sprintf('... within a second of arriving (%.0f ms)', $b1->{lat} * 1000);
is $b1->{c}{state}, 'bot', 'a robot-first queue starts with the robot';

# --- R4.2 keywords

send_text($b1, 'price');
my @r = grep { $_->{from}{role} eq 'bot' } said($b1);
is scalar(@r), 1, 'R4.2 exact keyword: one reply';
is $r[0]{text}, 'From 9 EUR', '... its text';
is_deeply $r[0]{actions}, [ { label => 'Buy', send => 'buy now' } ],
    '... with its interaction link';

my $FALLBACK = 'Sorry, I did not understand that. Could you say it another way?';
send_text($b1, 'the price?');
my @fb = grep { $_->{from}{role} eq 'bot' } said($b1);
is_deeply [map { $_->{text} } @fb], [$FALLBACK],
    'an exact keyword inside a sentence: no rule, the fallback (#13 §4)';
is_deeply $fb[0]{actions}, [ { label => 'Talk to an agent', send => '你好' } ],
    '... offering a person (the first hand-off keyword)';

# an interaction link's text is sent as the customer: it hits "buy"
send_text($b1, 'buy now');
is_deeply [bot_texts($b1)], ['Great choice'],
    'the interaction link\'s text triggers the rules';

send_text($b1, 'I want a refund policy please');
is_deeply [bot_texts($b1)], [map { "refund step $_" } 1 .. 5],
    'R4.2 contains: the first matching rule, its 5 replies in order';

# --- R4.1 hand-off on the whole message only

send_text($b1, '你好棒');
is conv('acme', $b1->{c}{id})->{state}, 'bot',
    'R4.1 "你好棒" does not hand off';
is_deeply [bot_texts($b1)], [$FALLBACK], '... the robot says it did not '
                                         . 'understand';
send_text($b1, '你好');
my $cv = conv('acme', $b1->{c}{id});
is $cv->{state}, 'active', 'R4.1 "你好" hands off to human routing';
is $cv->{agent}{id}, 'alice', '... alice takes it';
my $joined = $b1->wait_json(sub { ($_[0]{event} // '') eq 'assigned' });
ok $joined, 'the customer sees the agent join';

send_text($b1, 'price');
is_deeply [bot_texts($b1)], [], 'the robot is quiet once a person serves';

# hand-off with nobody free: the queued text
my $b2 = visit('bot', 'u2');
set_status('acme', 'alice', status => 'offline');
said($b2, 0.5);
send_text($b2, ' agent ');
is conv('acme', $b2->{c}{id})->{state}, 'queued',
    'a hand-off with no agent free waits';
is_deeply [bot_texts($b2)], ['Please wait for an agent'],
    'R4.3 ... with the queued text';
set_status('acme', 'alice', status => 'online');

# --- human queues skip the robot

my $h1 = visit('human', 'u3');
is $h1->{first} && $h1->{first}{text}, 'Welcome to human support',
    'a human queue has its welcome';
send_text($h1, 'price');
is_deeply [bot_texts($h1)], [], 'R4.1 human reception skips the robot';

# --- no-agent queues: the slot welcome and keywords, never a person

my $f1 = visit('faq', 'u4');
is $f1->{first} && $f1->{first}{text}, 'Good day from the slot',
    "R4.3 today's slot welcome replaces the plain one";
send_text($f1, 'price');
is_deeply [bot_texts($f1)], ['From 9 EUR'], 'a no-agent queue answers keywords';
send_text($f1, 'agent');
is conv('acme', $f1->{c}{id})->{state}, 'bot',
    '... and never hands off';
is_deeply [bot_texts($f1)], [$FALLBACK], '... nor offers a person';
api(PUT => 'tenants/acme/queues/faq', { fallback_text => 'Ask me about prices.' },
    token => $p);
send_text($f1, 'weather?');
is_deeply [bot_texts($f1)], ['Ask me about prices.'],
    'a queue\'s own fallback_text';
api(PUT => 'tenants/acme/queues/faq', { fallback_text => '' }, token => $p);
send_text($f1, 'weather?');
is_deeply [bot_texts($f1)], [], '... or silence';

$_->close for $b1, $b2, $h1, $f1;

unlike nginx_error_log(), qr/\[(alert|crit|emerg|error)\]/,
    'nothing wrong in the error log';
is valgrind_report(), '', 'valgrind: clean' if $t::CsqUtil::UseValgrind;

done_testing();
