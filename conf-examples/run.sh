#!/usr/bin/env bash
# `make run`: a private Redis and nginx with conf-examples/quickstart.conf on
# 127.0.0.1:8080, both in the foreground of this script; Ctrl-C stops both.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run=$root/build/run
nginx=${NGINX:-/usr/sbin/nginx}
redis_port=6399

mkdir -p "$run/modules" "$run/logs" "$run/redis" "$run/html"
cp "$root/build/ngx_http_csq_module.so" "$run/modules/"
cp "$root/conf-examples/widget-demo.html" "$run/html/"

pids=()

stop() {
    trap - INT TERM EXIT
    echo
    echo "stopping nginx and redis"
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}

trap stop INT TERM EXIT

redis-server "$root/conf-examples/redis.conf" --port "$redis_port" \
    --bind 127.0.0.1 --dir "$run/redis" --daemonize no \
    --logfile "$run/logs/redis.log" &
pids+=($!)

for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done

"$nginx" -p "$run/" -c "$root/conf-examples/quickstart.conf" -t -q
"$nginx" -p "$run/" -c "$root/conf-examples/quickstart.conf" \
    -g 'daemon off;' &
pids+=($!)

for _ in $(seq 50); do
    curl -fs http://127.0.0.1:8080/csq/status >/dev/null 2>&1 && break
    sleep 0.1
done

cat <<EOT

ngx_csq_module is running (Ctrl-C stops nginx and Redis)

  status     http://127.0.0.1:8080/csq/status
  API        http://127.0.0.1:8080/csq/api/   (see README.md)
  redis      127.0.0.1:$redis_port (data in build/run/redis)
  logs       build/run/logs/

EOT

bash "$root/conf-examples/demo.sh" http://127.0.0.1:8080/csq/api \
    quickstart-secret-change-me http://127.0.0.1:8081
echo

curl -s http://127.0.0.1:8080/csq/status && echo

wait -n "${pids[@]}" || true
