# R10.1, issue #13 §4: the pages' languages.  The message catalog
# (ngx_csq_module/pages/i18n.js) checked against the pages by
# t/unit/i18n_check.js (zh-CN and en with the same keys, every key a page
# uses in both, no words of a page outside it, every error code of the
# README with its words), and that check seen failing on broken copies;
# the tenant's `lang` (PUT/GET tenants/<t>, validated), given to the chat
# page in the entry's answer and to the workbench in its socket's hello;
# the catalog served with the pages.  The pages rendered in both
# languages: t/050-browser.t.

use strict;
use warnings;

use File::Copy ();
use File::Path ();
use Test::More;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

my $pages = 'ngx_csq_module/pages';

# --- the catalog against the pages (node, no browser)

sub check {
    my ($dir) = @_;
    my $out = `node t/unit/i18n_check.js $dir 2>&1`;
    return ($? >> 8, $out);
}

SKIP: {
    skip 'no node', 1 unless `node --version 2>/dev/null` =~ /^v\d/;

    my ($rc, $out) = check($pages);
    my @lines = split /\n/, $out;
    ok((grep { /^1\.\.\d+$/ } @lines), 'the catalog check ran to the end')
        or diag $out;
    for my $line (grep { /^(?:not )?ok / } @lines) {
        my ($not, $name) = $line =~ /^(not )?ok \d+ - (.*)$/;
        ok !$not, $name;
    }
    diag $_ for grep { /^#/ } @lines;
    is $rc, 0, 'R10.1 the catalog and the pages agree';

    # the check itself fails when the catalog or a page is broken
    my $tmp = "$t::CsqUtil::RepoRoot/t/servroot-i18n";
    my $broken = sub {
        my ($what, $file, $from, $to) = @_;
        File::Path::remove_tree($tmp);
        File::Path::make_path($tmp);
        File::Copy::copy($_, $tmp) or die "copy $_: $!" for glob "$pages/*";
        open my $in, '<:raw', "$tmp/$file" or die "$file: $!";
        my $text = do { local $/; <$in> };
        close $in;
        my $n = ($text =~ s/$from/$to/);
        die "$what: no $from in $file\n" unless $n;
        open my $o, '>:raw', "$tmp/$file" or die "$file: $!";
        print $o $text;
        close $o;
        my ($r, $why) = check($tmp);
        isnt $r, 0, "the check fails with $what" or diag $why;
    };
    $broken->('a key missing from zh-CN', 'i18n.js',
              qr/\n      'chat\.send': '[^']*',/, '');
    $broken->('a key a page uses and no language has', 'chat.html',
              qr/data-i18n="chat\.send"/, 'data-i18n="chat.sendd"');
    $broken->('a string left in English in a script', 'chat.js',
              qr/banner\(t\('common\.reconnecting'\)\)/,
              "banner('Reconnecting, please wait')");
    $broken->('a text left in English in a page', 'workbench.html',
              qr/<button id="kb-close" type="button" data-i18n="tools\.close">Close<\/button>/,
              '<button id="kb-close" type="button">Close</button>');
    $broken->('a script that hides t() with a t of its own', 'customer.js',
              qr/const \[r, trail\]/, 'const [r, t]');
    $broken->('a zh-CN string left in English', 'i18n.js',
              qr/'chat\.send': '发送'/, "'chat.send': 'Send'");
    File::Path::remove_tree($tmp);
}

# --- the tenant's language

redis_start();
api_nginx_start(log_level => 'info');
my $P = setup_tenant('acme', queues => { sales => {} },
                     agents => { alice => { queues => ['sales'] } },
                     fallback => 'sales');

my ($s, $j) = api(GET => 'tenants/acme', undef, token => $P);
is $j->{lang}, '', "R10.1 a tenant's lang is '' (the browser's) at first";
($s, $j) = api(PUT => 'tenants/acme', { lang => 'zh-CN' }, token => $P);
is $s, 200, '... set to zh-CN';
is $j->{lang}, 'zh-CN', '... which the answer says';
is((api(GET => 'tenants/acme', undef, token => $P))[1]{lang}, 'zh-CN',
   '... and GET too');
for my $bad ('fr', 'zh-cn', 'ZH-CN', 'zh', 1, ['en'], undef) {
    my ($bs, $bj) = api(PUT => 'tenants/acme', { lang => $bad, name => 'X' },
                        token => $P);
    is $bs, 400, 'R10.1 lang ' . (defined $bad ? JSON::PP->new->allow_nonref
        ->encode($bad) : 'null') . ' is refused';
    is $bj->{error}{code}, 'invalid_field', '... invalid_field';
}
is((api(GET => 'tenants/acme', undef, token => $P))[1]{name}, 'acme',
   '... and nothing of those bodies is stored');
is((api(GET => 'tenants/acme', undef, token => $P))[1]{lang}, 'zh-CN',
   '... the lang either');

# the chat page learns it from the entry's answer (no token)
($s, $j) = api(POST => 'tenants/acme/entry', {});
is $s, 200, 'a page enters';
is $j->{tenant}{lang}, 'zh-CN', "R10.1 the entry's answer has the tenant's lang";

# the workbench from its socket's hello
my $tok = login_token('acme', 'alice');
my $ws = ws_open("/api/tenants/acme/agent/ws?token=$tok");
ok $ws, 'the agent socket opens' or diag ws_error();
my $hello = $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' });
is $hello && $hello->{lang}, 'zh-CN', "R10.1 the agent's hello has the tenant's lang";
$ws->close if $ws;

api(PUT => 'tenants/acme', { lang => 'en' }, token => $P);
is((api(POST => 'tenants/acme/entry', {}))[1]{tenant}{lang}, 'en',
   '... changed to en');
api(PUT => 'tenants/acme', { lang => '' }, token => $P);
is((api(POST => 'tenants/acme/entry', {}))[1]{tenant}{lang}, '',
   "... and back to '' (each browser's)");
$ws = ws_open("/api/tenants/acme/agent/ws?token=$tok");
$hello = $ws && $ws->wait_json(sub { $_[0]{type} eq 'hello' });
is $hello && $hello->{lang}, '', "... the hello's too";
$ws->close if $ws;

# the catalog is served with the pages, and the pages load it first
my ($cs, $ch, $cbody) = http_request(GET => '/api/assets/i18n.js');
is $cs, 200, 'R10.1 the catalog is served at assets/i18n.js';
like $ch->{'content-type'} // '', qr{^text/javascript}, '... as a script';
like $cbody // '', qr/'zh-CN': \{.*\ben: \{/s, '... with both languages';
for my $page (qw(chat workbench)) {
    my (undef, undef, $html) = http_request(GET => "/api/tenants/acme/$page");
    like $html // '', qr{assets/i18n\.js" defer></script>\s*<script src="\.\./\.\./assets/common\.js"},
         "the $page page loads the catalog before its scripts";
}

done_testing();
