# issue #11 §5: the field checks of the Redis functions, reached by
# generated bodies through nginx.  For every route that takes a body,
# CSQ_BODIES (1000) random JSON bodies: known field names with values of
# every type and shape, unknown ones, nesting.  Every answer must be a
# success or a clear 4xx with a JSON error code (never a 5xx, never a
# Redis error), and after every 4xx Redis must have written nothing (its
# count of changes since the last save, the tick off).  Seeded: a failure prints the seed
# and the body, and CSQ_SEED=<seed> replays it.

use strict;
use warnings;

use JSON::PP ();
use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);

my $n = $ENV{CSQ_BODIES} // ($ENV{TEST_NGINX_USE_VALGRIND} ? 50 : 1000);
my $seed = $ENV{CSQ_SEED} // int(rand(2**31));
srand($seed);
diag "seed $seed, $n bodies a route";

redis_start();

# Redis' count of writes: any change at all moves it
sub changes {
    my ($n) = redis_cmd('INFO', 'persistence') =~ /rdb_changes_since_last_save:(\d+)/;
    return $n;
}
api_nginx_start(log_level => 'warn',
                http_config => "    csq_tick 0;\n    csq_trusted 127.0.0.1;\n");
my $P = setup_tenant('acme', queues => { q1 => {} },
    agents => { a1 => { queues => ['q1'] } }, fallback => 'q1');

my $Json = JSON::PP->new->utf8->canonical->allow_nonref;

# --- random values

my @words = ('', 'a', 'q1', 'a1', 'human', 'pickup', 'robot', 'noagent',
             'round-robin', 'weighted', 'agent', 'admin', 'supervisor',
             'online', 'offline', 'suspended', 'https://shop.example',
             'javascript:alert(1)', '09:00', '24:00', '25:99', 'x' x 300,
             "\x{4e2d}\x{6587}", "a\0b", '../..', 'csq:{x}', ' ');

sub value {
    my ($depth, $known) = @_;
    my $r = rand();
    return undef if $r < 0.06;
    return JSON::PP::true() if $r < 0.10;
    return JSON::PP::false() if $r < 0.14;
    if ($r < 0.34) {
        my @n = (0, 1, -1, 7, 1.5, 1e308, -1e308, 2**53, 99999999999,
                 int(rand(2000)) - 1000, rand(100));
        return $n[rand @n];
    }
    return $words[rand @words] if $r < 0.62;
    return '' . int(rand(1e6)) if $r < 0.66;
    return value($depth + 1) if $depth > 3;
    if ($r < 0.83) {
        return [map { value($depth + 1, $known) } 1 .. int(rand(4))];
    }
    return object($depth + 1, $known);
}

sub object {
    my ($depth, $known) = @_;
    my %o;
    for (1 .. int(rand(6))) {
        my $k = rand() < 0.8 && @$known ? $known->[rand @$known]
                                        : $words[rand @words];
        $o{$k} = value($depth, $known);
    }
    return \%o;
}

# --- the routes that take a body: a valid body of each, mutated at one or
# two places (a value of another type or shape, a field gone, another
# field), so that every check is reached, and wholly random ones

my @routes = (
    [ PUT => 'tenants/acme/queues/qr', { name => 'Q',
        strategy => 'round-robin', mode => 'human', max_length => 10,
        queued_text => 'wait', out_of_hours_text => 'closed',
        welcome_text => 'hi', handoff_keywords => ['agent'],
        welcome_slots => [ { days => [1], from => '09:00', to => '17:00',
                             text => 'morning' } ],
        schedule => { slots => [ { days => [1, 2], from => '08:00',
                                   to => '18:00', agents => ['a1'] } ] },
        sticky_wait => JSON::PP::false() } ],
    [ PUT => 'tenants/acme/agents/ar', { name => 'A', role => 'agent',
        password => 'password1',
        capacity => 3, weight => 1, order => 1, queues => ['q1'],
        avatar => 'https://img.example/a.png' } ],
    [ PUT => 'tenants/acme/rules', { rules => [ { match => {
        channel => 'web', 'attributes.plan' => 'gold' }, queue => 'q1' } ],
        fallback_queue => 'q1' } ],
    [ PUT => 'tenants/acme/keywords', { rules => [ { match => 'exact',
        keyword => 'hi', replies => [ { text => 'hello', actions => [
        { label => 'more', send => 'tell me more' } ] } ] } ] } ],
    [ PUT => 'tenants/acme/links/lr', { name => 'L', queue => 'q1',
        require_login => JSON::PP::false() } ],
    [ PUT => 'tenants/acme/customers/cr', { name => 'C', owner => 'a1',
        private => JSON::PP::false() } ],
    [ POST => 'tenants/acme/conversations', { customer => 'u1',
        queue => 'q1', channel => 'web', priority => 1,
        attributes => { plan => 'gold' } } ],
    [ POST => 'tenants/acme/entry', { channel => 'web' } ],
    # a failed login is counted (login_failed.lua): its refusals write
    [ POST => 'tenants/acme/login', { agent => 'a1',
        password => 'password1' }, qr/^(bad_credentials|rate_limited)$/ ],
    [ POST => 'tenants/acme/agents/a1/status', { status => 'online',
        reception => JSON::PP::true() } ],
    # last: what it takes (require_login, origins) changes what others take
    [ PUT => 'tenants/acme', { name => 'Acme', return_hours => 48,
        default_capacity => 5, auto_end_minutes => 0,
        utc_offset_minutes => 60, origins => ['https://shop.example'],
        require_login => JSON::PP::false(), lang => 'zh-CN',
        faq_links => [ { label => 'Help', url => 'https://h.example' } ] } ],
);

sub copy { return $Json->decode($Json->encode($_[0])) }

sub names {
    my ($v, $out) = @_;
    if (ref $v eq 'HASH') {
        for (keys %$v) { push @$out, $_; names($v->{$_}, $out) }
    } elsif (ref $v eq 'ARRAY') {
        names($_, $out) for @$v;
    }
    return $out;
}

# one change somewhere in $v (a hash or an array)
sub mutate {
    my ($v, $known) = @_;
    if (ref $v eq 'HASH') {
        my @k = keys %$v;
        my $r = rand();
        if (!@k || $r < 0.15) {
            $v->{ rand() < 0.7 ? $known->[rand @$known] : $words[rand @words] }
                = value(1, $known);
        } elsif ($r < 0.25) {
            delete $v->{ $k[rand @k] };
        } else {
            my $k = $k[rand @k];
            if (ref $v->{$k} && rand() < 0.6) { mutate($v->{$k}, $known) }
            else { $v->{$k} = value(1, $known) }
        }
    } elsif (ref $v eq 'ARRAY') {
        if (!@$v || rand() < 0.3) { push @$v, value(1, $known) }
        else {
            my $i = int(rand @$v);
            if (ref $v->[$i] && rand() < 0.6) { mutate($v->[$i], $known) }
            else { $v->[$i] = value(1, $known) }
        }
    }
}

for my $route (@routes) {
    my ($method, $path, $valid, $counted) = @$route;
    my $known = names($valid, []);
    my ($bad, $ok4xx, $ok, $changed) = (0, 0, 0, 0);
    for my $i (1 .. $n) {
        my $body;
        if (rand() < 0.25) {
            $body = object(0, $known);
        } else {
            $body = copy($valid);
            mutate($body, $known) for 1 .. 1 + int(rand(2));
        }
        my $text = $Json->encode($body);
        my $before = changes();
        my ($s, $j) = api($method => $path, $text, token => $P);
        my $after = changes();
        if ($s >= 200 && $s < 300) {
            $ok++;
            next;
        }
        if ($s >= 400 && $s < 500 && $j && $j->{error}
            && ($j->{error}{code} // '') =~ /^[a-z_]+$/)
        {
            $ok4xx++;
            next if $before eq $after
                    || ($counted && $j->{error}{code} =~ $counted);
            $changed++;
        }
        $bad++;
        diag "$method $path -> $s " . ($j ? $Json->encode($j) : '')
             . "\n  body: $text" if $bad <= 3;
    }
    is $bad, 0, "R9.6 $method $path: $n bodies, $ok taken, $ok4xx refused"
        . " clearly, $changed refusals that changed Redis";
}

unlike nginx_error_log(), qr/\[(error|crit|alert|emerg)\]/,
    'no error in the error log';

done_testing();
