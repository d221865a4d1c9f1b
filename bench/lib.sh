# The setup the benchmarks of bench/ share (sourced by them, not run): a
# private redis-server and an nginx with the csq module, on free ports,
# in a temporary directory; on exit both are stopped and it is removed.
#
#   source "$(dirname "$0")/lib.sh"   # sets root nginx module dir
#                                     # redis_port http_port
#   bench_redis_start
#   bench_nginx_start "$http" "$server" /path [-f]
#
# bench_nginx_start writes nginx.conf (1 worker, csq_redis on the private
# redis; $http: more lines of http {}, $server: the lines of server {}),
# starts nginx and waits until /path answers (with -f: answers 2xx).
# Set before it, all optional: nginx_main (main-context lines, default
# "worker_processes 1;"), nginx_events (default "worker_connections 4096;"),
# nginx_listen (more parameters of listen, e.g. reuseport).
#
#   bench_csq_api [more http lines]
#                              # bench_nginx_start with csq_api on /api/,
#                              # signed with $secret
#   bench_nginx_conf NAME PORT "$conf" /path [binary]
#                              # any other nginx, in $dir/NAME
#   bench_nginx_stop [prefix]  # stop one (default: csq's) and wait
#   bench_nginx_workers [prefix]   # its workers' pids
#   bench_install pkg...       # Debian packages, only those missing
#   bench_node                 # bench/node_modules from package-lock.json
#
# Background jobs of the calling script are stopped on exit too.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
nginx=${NGINX:-/usr/sbin/nginx}
module=$root/build/ngx_http_csq_module.so
dir=$(mktemp -d /tmp/csq-bench.XXXXXX)

free_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1")->sockport'
}

redis_port=$(free_port)
http_port=$(free_port)
mkdir -p "$dir/logs"

cleanup() {
    local pid
    for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
    for pid in "$dir"/logs/nginx.pid "$dir"/*/logs/nginx.pid; do
        [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
    done
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

bench_redis_start() {
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
        --appendonly no --daemonize yes --dir "$dir" >/dev/null
    for _ in $(seq 50); do
        redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1
    done
}

bench_nginx_start() {
    local http=$1 server=$2 path=$3 fail=${4:-}
    cat > "$dir/nginx.conf" <<EOT
load_module $module;
${nginx_main:-worker_processes 1;}
error_log logs/error.log warn;
pid logs/nginx.pid;
events { ${nginx_events:-worker_connections 4096;} }
http {
    access_log off;
    csq_redis 127.0.0.1:$redis_port pool=4;
$http
    server {
        listen 127.0.0.1:$http_port backlog=4096${nginx_listen:+ $nginx_listen};
$server
    }
}
EOT
    "$nginx" -p "$dir/" -c "$dir/nginx.conf"
    bench_wait_http "$http_port" "$path" "$fail"
}

bench_csq_api() {
    bench_nginx_start "
    csq_secret $secret;${1:+
    $1}" '
        location /api/ { csq_api; }' /api/
}

bench_wait_http() {
    for _ in $(seq 50); do
        curl -s ${3:-} "http://127.0.0.1:$1$2" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "nothing answers on 127.0.0.1:$1$2" >&2
    return 1
}

# an nginx of its own (a baseline), in $dir/NAME, with the whole config;
# BINARY defaults to the one csq runs in
bench_nginx_conf() {
    local name=$1 port=$2 conf=$3 path=$4 binary=${5:-$nginx}
    mkdir -p "$dir/$name/logs"
    printf '%s\n' "$conf" > "$dir/$name/nginx.conf"
    "$binary" -p "$dir/$name/" -c "$dir/$name/nginx.conf"
    bench_wait_http "$port" "$path"
}

# stops the nginx of prefix DIR (default: csq's) and waits for its end
bench_nginx_stop() {
    local pidf=${1:-$dir}/logs/nginx.pid pid
    [ -f "$pidf" ] || return 0
    pid=$(cat "$pidf")
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

# the pids of an nginx's workers (prefix DIR, default csq's)
bench_nginx_workers() {
    pgrep -P "$(cat "${1:-$dir}/logs/nginx.pid")" | tr '\n' ' '
}

# the Makefile's way: apt-get only for what is missing, silent otherwise
bench_install() {
    local p missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null \
            | grep -q '^install ok installed' || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "installing:$missing"
    if [ "$(id -u)" != 0 ]; then
        echo "run as root to install these packages" >&2; exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# the Node load clients' packages (ws), as package-lock.json pins them
bench_node() {
    command -v npm >/dev/null || bench_install nodejs npm
    [ -d "$root/bench/node_modules/ws" ] && return 0
    (cd "$root/bench" && npm ci --silent --no-audit --no-fund >/dev/null)
}
