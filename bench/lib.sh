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
    [ -f "$dir/logs/nginx.pid" ] && kill "$(cat "$dir/logs/nginx.pid")" 2>/dev/null
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
worker_processes 1;
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    csq_redis 127.0.0.1:$redis_port pool=4;
$http
    server {
        listen 127.0.0.1:$http_port backlog=4096;
$server
    }
}
EOT
    "$nginx" -p "$dir/" -c "$dir/nginx.conf"
    for _ in $(seq 50); do
        curl -s $fail "http://127.0.0.1:$http_port$path" >/dev/null 2>&1 && break
        sleep 0.1
    done
}
