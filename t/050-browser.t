# issue #6 in a real browser (Debian's chromium, npm playwright-core):
# a customer opens the chat page, gets the welcome, talks to the robot,
# hands off, waits with its position shown (the demo's agents start
# offline, #13 §5); an agent logs in on the
# workbench, takes the conversation, both talk; the customer reloads and
# sees the history; the agent transfers, the other agent ends it; she
# takes a waiting customer from her pick-up list; the supervisor assigns
# another from the waiting list; the demo's admin signs in and sees the
# supervisor's views; the widget works on an allowed site and is refused
# on another; each page in Simplified Chinese and in English (R10.1).
# The flows
# are t/browser/flows.js, then t/browser/more/*.js; screenshots go to
# t/servroot-browser/.

use strict;
use warnings;

use File::Path ();
use Test::More;
use t::CsqUtil;
use t::CsqApi;

my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
plan skip_all => "no $chromium" unless -x $chromium;
plan skip_all => 'no t/browser/node_modules (make deps-test)'
    unless -d 't/browser/node_modules/playwright-core';
plan skip_all => 'not under valgrind (a browser is slow enough)'
    if $t::CsqUtil::UseValgrind;

redis_start();
my $widget = <<'_EOC_';
    location = /widget-demo.html {
        default_type text/html;
        return 200 '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A shop</title></head><body><h1>A shop</h1><script src="http://127.0.0.1:$server_port/csq/api/tenants/demo/widget.js" data-ch="welcome" async></script></body></html>';
    }
    location /csq/api/ {
        csq_api;
    }
_EOC_
# the outbox's other side for the flows: small HTTP servers flows of
# t/browser/more start, channels' on CH_RX, the phone's and SMS' on
# OUTBOX_PORT
my $rx_port = free_port();
my $outbox_port = free_port();
my $port = api_nginx_start(workers => 2, log_level => 'info',
    http_config => "    csq_outbox_allow http://127.0.0.1:$rx_port/"
                 . " http://127.0.0.1:$outbox_port/;\n",
    conf => $widget . outbox_location());
my $base = "http://127.0.0.1:$port/csq/api";

my $out = `bash conf-examples/demo.sh $base $Secret http://127.0.0.1:$port 2>&1`;
is $?, 0, 'the demo tenant is set up' or diag $out;

my $shots = "$t::CsqUtil::RepoRoot/t/servroot-browser";
File::Path::remove_tree($shots);
File::Path::make_path($shots);

local $ENV{BASE} = $base;
local $ENV{TENANT} = 'demo';
local $ENV{SHOTS} = $shots;
local $ENV{PLATFORM} = platform_token();
local $ENV{CHROMIUM} = $chromium;
local $ENV{WIDGET_OK} = "http://127.0.0.1:$port/widget-demo.html";
local $ENV{WIDGET_BAD} = "http://localhost:$port/widget-demo.html";
local $ENV{NGINX_PID} = nginx_pid();
local $ENV{CH_RX} = $rx_port;
local $ENV{OUTBOX_PORT} = $outbox_port;

open my $tap, '-|', 'node', 't/browser/flows.js' or die "node: $!";
while (my $line = <$tap>) {
    chomp $line;
    if ($line =~ /^(not ok|ok) \d+ - (.*)$/) {
        ok $1 eq 'ok', $2;
    } elsif ($line =~ /^# ?(.*)/) {
        diag $1;
    }
}
close $tap;
is $? >> 8, 0, 'the browser flows passed';

for my $shot (qw(chat-waiting chat workbench supervisor session-ended
                  widget chat-zh workbench-zh end-dialog-zh workbench-en
                  widget-zh login-zh supervisor-zh chat-attach
                  workbench-attach supervisor-monitor
                  mobile-list mobile-conversation mobile-list-zh
                  mobile-conversation-zh shortcuts-help
                  manage-replies manage-articles manage-replies-zh
                  manage-articles-zh widget-badge workbench-notify
                  plans-list plan-reminder callbacks plans-list-zh
                  plan-reminder-zh callbacks-zh
                  ticket-new tickets-list ticket-view tickets-zh
                  channels-delivery
                  channels-failed channels-tabs channels-admin
                  dead-letters channels-zh channels-tabs-zh
                  phone-pop phone-pop-new phone-calls sms-send
                  phone-pop-zh sms-send-zh)) {
    ok -s "$shots/$shot.png", "screenshot $shot.png saved";
}

my $log = nginx_error_log();
unlike $log, qr/\[(alert|crit|emerg)\]/, 'no alert in the error log';

done_testing();
