# issue #13 §4 (R5.6): attachments.  A customer or an agent posts a file
# into a conversation (the body is the file; nginx reads it unbuffered into
# one buffer of its Content-Length, never a temp file); the bytes are kept
# in Redis beside the conversation, so any nginx node serves them (a twin
# nginx here); only an image its bytes prove is served inline, anything
# else as a download, always with nosniff and a sandboxing CSP.  Bounds:
# csq_attachment_max_size, csq_attachment_inflight, 100 a conversation,
# 10 a minute a customer, the tenant's attachment_quota_mb; retention
# deletes them with their conversation.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use IO::Socket::INET;
use Digest::SHA qw(sha1_hex);
use JSON::PP;
use t::CsqUtil;
use t::CsqApi qw(:DEFAULT :routing);
use t::CsqWs;

redis_start();
api_nginx_start(log_level => 'info',
                http_config => "    csq_tick 0;\n"
                             . "    csq_attachment_max_size 1m;\n"
                             . "    csq_attachment_inflight 1200k;\n");
my ($port_b) = nginx_twin('att-b');
my $P = platform_token();
setup_tenant('acme', tenant => { return_hours => 0 },
             queues => { sales => {} },
             agents => { alice => { queues => ['sales'], capacity => 50 },
                         bob => { queues => ['sales'], capacity => 50,
                                  status => 'offline' } },
             fallback => 'sales');
my %T = map { $_ => login_token('acme', $_) } qw(alice bob);
my $K = 'csq:{acme}:';

my $PNG = "\x89PNG\r\n\x1a\n" . "\0\0\0\rIHDR" . ("\x01" x 40);
my $GIF = "GIF89a" . ("\x02" x 30);

# a POST of the bytes: (status, json, headers)
sub upload {
    my ($token, $cid, $bytes, %o) = @_;
    my $name = $o{name} // 'a.bin';
    $name =~ s/([^A-Za-z0-9._-])/sprintf('%%%02X', ord $1)/ge;
    my ($s, $h, $body) = http_request(
        POST => "/api/tenants/acme/conversations/$cid/attachments?name=$name",
        $bytes, 'Content-Type' => $o{type} // 'application/octet-stream',
        ($token ? (Authorization => "Bearer $token") : ()),
        ($o{port} ? ('-port' => $o{port}) : ()), %{ $o{headers} || {} });
    return ($s // 0, eval { decode_json($body) }, $h);
}

sub fetch {
    my ($token, $id, %o) = @_;
    return http_request(GET => "/api/tenants/acme/attachments/$id", undef,
                        ($token ? (Authorization => "Bearer $token") : ()),
                        ($o{port} ? ('-port' => $o{port}) : ()));
}
sub code { return $_[0] && $_[0]{error} ? $_[0]{error}{code} : '' }

my $c = arrive_ok('acme', customer => 'cu1');
my $ct = $c->{customer_token};
my $cid = $c->{id};
is $c->{agent}{id}, 'alice', 'alice serves the conversation';

# --- an image, from the customer

my ($s, $j, $h) = upload($ct, $cid, $PNG, name => 'shot.png',
                         type => 'image/png');
is $s, 201, 'R5.6 a customer attaches an image to its conversation';
is_deeply [@$j{qw(name mime size)}], ['shot.png', 'image/png', length $PNG],
          '... its name, type and size';
ok $j->{image}, '... an image: its bytes are a PNG';
my $img = $j->{id};

my ($gs, $gh, $gb) = fetch($ct, $img);
is $gs, 200, 'R5.6 the customer reads it back';
is $gb, $PNG, '... byte for byte';
is $gh->{'content-type'}, 'image/png', '... as the image it is';
like $gh->{'content-disposition'}, qr/^inline; filename="shot\.png"/,
     '... inline, with its name';
is $gh->{'x-content-type-options'}, 'nosniff', '... nosniff';
like $gh->{'content-security-policy'}, qr/default-src 'none'; sandbox/,
     '... and a CSP that runs nothing';
($gs, undef, $gb) = fetch($T{alice}, $img);
is $gs, 200, '... its agent reads it';
($gs, undef, $gb) = fetch($T{alice}, $img, port => $port_b);
is $gs, 200, 'R5.6 another nginx node serves it (shared in Redis)';
is $gb, $PNG, '... the same bytes';

my $other = arrive_ok('acme', customer => 'cu2');
($gs, undef, $gb) = fetch($other->{customer_token}, $img);
is $gs, 404, 'another customer cannot read it (no hint it exists)';
($gs) = fetch($T{bob}, $img);
is $gs, 404, '... nor an agent who neither served it nor owns its customer';
($gs) = fetch(undef, $img);
is $gs, 401, '... nor anyone without a token';
($s, $j) = upload($other->{customer_token}, $cid, $PNG);
is $s, 403, 'a customer attaches only to its own conversation';

# --- what is not an image is a download

($s, $j) = upload($ct, $cid, "<html><script>alert(1)</script></html>",
                  name => 'x.png', type => 'image/png');
is $s, 201, 'bytes that are no image, declared image/png, are taken';
ok !$j->{image}, '... but not as an image';
($gs, $gh) = fetch($ct, $j->{id});
is $gh->{'content-type'}, 'application/octet-stream',
   '... served as octets, never as what it declared';
like $gh->{'content-disposition'}, qr/^attachment; /, '... as a download';
my $fake = $j->{id};

($s, $j) = upload($T{alice}, $cid, '<svg onload="alert(1)"/>',
                  name => 'pic.svg', type => 'image/svg+xml');
ok $s == 201 && !$j->{image}, 'an SVG is no image (it can hold script)';
($gs, $gh) = fetch($ct, $j->{id});
is $gh->{'content-type'}, 'application/octet-stream', '... octets';

my $odd = "r\x{e9}sum\x{e9}; \"x\".pdf";
($s, $j) = upload($ct, $cid, "%PDF-1.4", name => $odd,
                  type => 'application/pdf');
is $j->{name}, 'file', 'a name that is not UTF-8 is "file"';
utf8::encode($odd);
($s, $j) = upload($ct, $cid, "%PDF-1.4 ...", name => $odd,
                  type => 'application/pdf');
is $s, 201, 'a PDF with an odd name';
($gs, $gh) = fetch($ct, $j->{id});
like $gh->{'content-disposition'},
     qr/^attachment; filename="r_sum_; _x_\.pdf"; filename\*=UTF-8''r%C3%A9sum%C3%A9%3B%20%22x%22\.pdf$/,
     '... its name quoted safely, and whole in filename*';
is $j->{mime}, 'application/pdf', '... its declared type kept for the pages';

($s, $j) = upload($ct, $cid, $GIF, name => '../../etc/passwd',
                  type => 'text/plain');
is $j->{name}, 'passwd', 'a path in a name is dropped';
ok $j->{image}, '... a GIF is an image whatever was declared';

# --- sizes

($s, $j) = upload($ct, $cid, '');
is $s, 400, 'an empty file is refused';
($s, $j) = upload($ct, $cid, 'x' x (1024 * 1024 + 1));
is $s, 413, 'R5.6 a file over csq_attachment_max_size: 413';
is code($j), 'body_too_large', '... body_too_large';
($s, $j) = upload($ct, $cid, "5\r\nhello\r\n0\r\n\r\n",
                  headers => { 'Transfer-Encoding' => 'chunked' });
is $s, 411, 'an upload without a Content-Length: 411';

# a large file arrives in many reads, is kept whole
my $big = join '', map { chr(($_ * 7) % 256) } 1 .. 1024 * 1024;
($s, $j) = upload($T{alice}, $cid, $big, name => 'big.bin');
is $s, 201, 'a file of csq_attachment_max_size (1 MB) is taken';
($gs, $gh, $gb) = fetch($ct, $j->{id}, port => $port_b);
is sha1_hex($gb // ''), sha1_hex($big), '... and read back whole elsewhere';

# csq_attachment_inflight: a slow upload holds its bytes; one more that
# would pass the worker's bound is refused (one worker's view: the test
# talks to one worker per connection, so both go through one connection
# order: the slow one first)
{
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => nginx_port(), Proto => 'tcp')
        or die "connect: $!\n";
    my $len = 1024 * 1024;
    print $sock "POST /api/tenants/acme/conversations/$cid/attachments"
              . "?name=slow.bin HTTP/1.1\r\nHost: localhost\r\n"
              . "Authorization: Bearer $T{alice}\r\n"
              . "Content-Length: $len\r\nConnection: close\r\n\r\n"
              . ('s' x 1000);
    sleep 0.3;
    my @refused;
    for (1 .. 4) {
        my ($s2, $j2) = upload($T{alice}, $cid, 'y' x (300 * 1024));
        push @refused, code($j2) if $s2 == 503;
    }
    ok scalar(@refused) >= 1,
       'R5.6 uploads past csq_attachment_inflight are refused while a '
       . 'slow one holds its worker\'s bytes (' . scalar(@refused) . ' of 4)';
    is $refused[0] // '', 'busy', '... 503 busy';
    print $sock 's' x ($len - 1000);
    my $resp = join '', <$sock>;
    like $resp, qr{^HTTP/1\.1 201}, '... and the slow one ends well';
}

# --- sent as a message

my $ws = customer_socket('acme', $c) or die "socket\n";
my $aw = ws_open("/api/tenants/acme/agent/ws?token=$T{alice}") or die;
$aw->wait_json(sub { $_[0]{type} eq 'hello' });
$ws->send_json({ type => 'message', kind => 'image', attachment => $img,
                 ref => 'i1' });
my $ack = $ws->wait_json(sub { ($_[0]{ref} // '') eq 'i1' });
is $ack && $ack->{type}, 'ack', 'R5.6 the customer sends its image';
my $m = $aw->wait_json(sub { $_[0]{type} eq 'message'
                             && ($_[0]{attachment} // '') eq $img });
ok $m, '... its agent gets it';
is_deeply [@{ $m || {} }{qw(kind name size mime)}],
          ['image', 'shot.png', length $PNG, 'image/png'],
          '... with its name, size and type';
$ws->send_json({ type => 'message', kind => 'image', attachment => $fake,
                 ref => 'i2' });
my $e = $ws->wait_json(sub { ($_[0]{ref} // '') eq 'i2' });
is $e && $e->{type}, 'error', 'an attachment that is no image is no image';
$ws->send_json({ type => 'message', kind => 'file', attachment => $fake,
                 ref => 'i3' });
$e = $ws->wait_json(sub { ($_[0]{ref} // '') eq 'i3' });
is $e && $e->{type}, 'ack', '... it goes as a file';
my ($os, $oj) = upload($other->{customer_token}, $other->{id}, $PNG);
$ws->send_json({ type => 'message', kind => 'image',
                 attachment => $oj->{id}, ref => 'i4' });
$e = $ws->wait_json(sub { ($_[0]{ref} // '') eq 'i4' });
is $e && $e->{type}, 'error', 'another conversation\'s attachment is refused';

# --- bounds

my $c3 = arrive_ok('acme', customer => 'cu3');
my @st = map { (upload($c3->{customer_token}, $c3->{id}, $GIF))[0] } 1 .. 11;
is_deeply [@st[0 .. 9]], [(201) x 10], 'a customer attaches 10 a minute';
is $st[10], 429, '... the 11th: 429';
@st = map { (upload($T{alice}, $c3->{id}, $GIF))[0] } 1 .. 91;
is $st[89], 201, '... its agent is not rate limited';
is $st[90], 409, 'R5.6 100 attachments a conversation, then 409';
($s, $j) = upload($T{alice}, $c3->{id}, $GIF);
is code($j), 'too_many_attachments', '... too_many_attachments';

my $bytes = redis_cmd('GET', "${K}att:bytes");
ok $bytes > 2 * 1024 * 1024, "the tenant's attachments are counted ($bytes)";
api(PUT => 'tenants/acme', { attachment_quota_mb => 2 }, token => $P);
($s, $j) = upload($T{alice}, $cid, 'z' x 1000);
is $s, 507, 'R5.6 past the tenant\'s attachment_quota_mb: 507';
is code($j), 'storage_full', '... storage_full';
api(PUT => 'tenants/acme', { attachment_quota_mb => 0 }, token => $P);
($s, $j) = upload($T{alice}, $cid, 'z');
is code($j), 'attachments_off', 'a quota of 0: no attachments';
api(PUT => 'tenants/acme', { attachment_quota_mb => 1024 }, token => $P);

end_conv_ok('acme', $cid);
($s, $j) = upload($T{alice}, $cid, $GIF);
is $s, 409, 'no attachment once the conversation has ended';
($gs) = fetch($ct, $img);
is $gs, 200, '... what it had stays readable';

# --- retention: gone with the conversation, off the quota

my ($lib) = map { my %l = @$_; $l{library_name} }
            @{ redis_cmd('FUNCTION', 'LIST', 'LIBRARYNAME', 'csq_*') };
my $now = int(time * 1000);
redis_cmd('ZADD', "${K}ended", $now - 200 * 86400000, $cid);
redis_cmd('FCALL', "${lib}_tick", 1, "${K}tenant", $now, '', 'platform', '',
          '', '');
ok !redis_cmd('EXISTS', "${K}att:$img"),
   'R5.6 retention deletes the attachments with their conversation';
my $after = redis_cmd('GET', "${K}att:bytes");
ok $after < $bytes - 1024 * 1024, "... and off the quota ($bytes -> $after)";
($gs) = fetch($T{alice}, $img);
is $gs, 404, '... not found after';

nginx_twin_stop('att-b');
unlike nginx_error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert in the error log';
nginx_stop();
is valgrind_report(), '', 'valgrind: clean' if $t::CsqUtil::UseValgrind;
done_testing;
