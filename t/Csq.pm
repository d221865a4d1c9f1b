package t::Csq;

# Test scaffold for the ngx_csq_module block tests:
#
#     use t::Csq 'no_plan';
#     run_tests();
#     __DATA__
#     === TEST 1: ...
#     --- http_config
#         ... 127.0.0.1:$TEST_NGINX_REDIS_PORT ...
#
# On load it starts one private redis-server for the whole test file
# ($TEST_NGINX_REDIS_PORT, unix socket $TEST_NGINX_REDIS_SOCKET), flushes
# it before every block, and loads the module from
# build/ngx_http_csq_module.so unless TEST_NGINX_LOAD_MODULES is already
# set.  Only public Test::Nginx::Socket APIs are used, so this works with
# our t/runner implementation and with upstream Test::Nginx.
#
# Note: "-Base" applies Spiffy's source filter to this file (named subs
# would get an implicit "my $self = shift"), hence only anonymous subs.

use Test::Nginx::Socket -Base;

use Cwd ();
use File::Basename ();
use t::CsqUtil qw(redis_start redis_stop redis_restart redis_pause
                  redis_resume redis_cmd redis_port redis_socket
                  redis_status);

# Re-exported to the .t files (e.g. for use in "--- init" code).
our @EXPORT = qw(redis_start redis_stop redis_restart redis_pause
                 redis_resume redis_cmd redis_port redis_socket
                 redis_status);

my $RepoRoot = File::Basename::dirname(
    File::Basename::dirname(Cwd::abs_path(__FILE__)));

if (!defined $ENV{TEST_NGINX_LOAD_MODULES}) {
    my $so = "$RepoRoot/build/ngx_http_csq_module.so";
    warn "# t::Csq: $so does not exist (build the module first)\n"
        unless -f $so;
    $ENV{TEST_NGINX_LOAD_MODULES} = $so;
}

# One Redis per test file; t::CsqUtil stops it at exit.
if (!eval { redis_start(); 1 }) {
    warn "# t::Csq: could not start redis-server: $@";
}

# A block that nginx must refuse (--- must_die) checks nginx's complaint
# with --- error_log.  t/runner reads it from nginx's stderr and error
# log; upstream Test::Nginx reads only t/servroot/logs/error.log.  nginx
# logs the complaint before the configuration's own error_log is open, to
# its built-in --error-log-path: under the prefix by default, but stderr
# in Debian's build (or an absolute path in others).  Under upstream with
# such an nginx the block still checks that nginx refused the
# configuration, and skips the message check, saying why.
my $RefusalLog = do {
    my $path;
    if (($INC{'Test/Nginx/Socket.pm'} // '')
        !~ m{(?:^|/)t/runner/Test/Nginx/Socket\.pm$})
    {
        my $nginx = $ENV{TEST_NGINX_BINARY} || 'nginx';
        ($path) = (`$nginx -V 2>&1` // '') =~ /--error-log-path=(\S+)/;
    }
    defined $path && $path =~ m{^(?:/|stderr$)} ? $path : undef;
};

add_block_preprocessor(sub {
    my $block = shift;
    return unless $RefusalLog && defined $block->must_die
                  && defined $block->error_log;
    $block->set_value('error_log');
    SKIP: {
        Test::More::skip($block->name . ' - error_log: upstream Test::Nginx'
            . ' reads only t/servroot/logs/error.log, this nginx logs a'
            . " refused configuration to $RefusalLog", 1);
    }
});

# Every block starts with an empty Redis.  Blocks may stop or pause Redis
# on purpose, so a Redis that is not running is left alone.
add_block_preprocessor(sub {
    return unless redis_status() eq 'running';
    eval {
        local $t::CsqUtil::RedisTimeout = 2;
        redis_cmd('FLUSHALL');
        1;
    } or warn "# t::Csq: FLUSHALL failed: $@";
});

1;
