#!/usr/bin/env bash
# GET /healthz over HTTPS keep-alive: arenite against nginx answering the same JSON with the
# same certificate, the same number of worker threads (one per core) and the same wrk load.
# Prints a table with both rates and their ratio. Environment: BENCH_SECONDS (10),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_ROUNDS (2; the best round of each counts).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ARENITE_BIN:-build/bin/arenite}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-2}
cores=$(nproc)

for tool in wrk nginx; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
    echo "bench: $tool is missing; run scripts/install-deps.sh" >&2
    exit 1
  }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() {  # url
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "bench: $1 did not answer" >&2
  exit 1
}

# arenite: a fresh data dir, its self-signed certificate, logs at warn.
printf 'bench password 123\n' >"$work/pw"
"$bin" init --data-dir "$work/data" --workspace Bench --admin-email bench@bench.test \
  --admin-password-file "$work/pw" >/dev/null
arenite_port=$(free_port)
"$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$arenite_port" --log-level warn \
  --request-limit 1000000000 --io-threads "$cores" >"$work/arenite.out" 2>"$work/arenite.err" &
arenite_pid=$!
pids+=($arenite_pid)
wait_for "https://127.0.0.1:$arenite_port/healthz"

# nginx: the same certificate and key, one worker per core, as the current user.
nginx_port=$(free_port)
mkdir -p "$work/nginx"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$work/nginx/nginx.conf" <<CONF
$user_line
worker_processes $cores;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/data/tls/cert.pem;
    ssl_certificate_key $work/data/tls/key.pem;
    location = /healthz {
      default_type application/json;
      return 200 '{"status":"ok"}';
    }
  }
}
CONF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/start.err" &
nginx_pid=$!
pids+=($nginx_pid)
wait_for "https://127.0.0.1:$nginx_port/healthz"

# CPU time (user + system, in clock ticks) used so far by these processes and their children.
cpu_ticks() {
  local total=0 pid
  for pid in "$@" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

# Runs wrk against url; prints "requests/s requests-per-server-CPU-second". The second figure
# does not depend on how much of the machine other processes take.
measure() {  # url pid
  local before after out requests
  before=$(cpu_ticks "$2")
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" "$1" 2>&1)
  after=$(cpu_ticks "$2")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$out" | awk -v r="$requests" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    '/^Requests\/sec:/ {printf "%s %.0f\n", $2, (t > 0) ? r / (t / hz) : 0}'
}

# A short warm-up of each, then alternating rounds so that both see the same machine noise.
wrk -t"$threads" -c"$connections" -d2s "https://127.0.0.1:$arenite_port/healthz" >/dev/null
wrk -t"$threads" -c"$connections" -d2s "https://127.0.0.1:$nginx_port/healthz" >/dev/null
best_arenite=0
best_nginx=0
best_arenite_cpu=0
best_nginx_cpu=0
max() { awk -v x="${1:-0}" -v y="${2:-0}" 'BEGIN {print (x > y) ? x : y}'; }
for round in $(seq 1 "$rounds"); do
  read -r a a_cpu < <(measure "https://127.0.0.1:$arenite_port/healthz" "$arenite_pid")
  read -r n n_cpu < <(measure "https://127.0.0.1:$nginx_port/healthz" "$nginx_pid")
  echo "round $round: arenite ${a:-0} req/s (${a_cpu:-0} per CPU-s)," \
    "nginx ${n:-0} req/s (${n_cpu:-0} per CPU-s)" >&2
  best_arenite=$(max "$a" "$best_arenite")
  best_nginx=$(max "$n" "$best_nginx")
  best_arenite_cpu=$(max "$a_cpu" "$best_arenite_cpu")
  best_nginx_cpu=$(max "$n_cpu" "$best_nginx_cpu")
done

ratio=$(awk -v a="$best_arenite" -v n="$best_nginx" 'BEGIN {printf "%.2f", (n > 0) ? a / n : 0}')
cpu_ratio=$(awk -v a="$best_arenite_cpu" -v n="$best_nginx_cpu" \
  'BEGIN {printf "%.2f", (n > 0) ? a / n : 0}')
echo
echo "GET /healthz, HTTPS keep-alive, wrk -t$threads -c$connections -d${seconds}s," \
  "best of $rounds rounds, $cores cores"
printf '| %-24s | %12s | %22s |\n' "server" "requests/s" "requests per CPU-second"
printf '| %-24s | %12s | %22s |\n' "------------------------" "-----------:" \
  "---------------------:"
printf '| %-24s | %12.0f | %22.0f |\n' "arenite ($cores io threads)" "$best_arenite" \
  "$best_arenite_cpu"
printf '| %-24s | %12.0f | %22.0f |\n' "nginx ($cores workers)" "$best_nginx" "$best_nginx_cpu"
printf '| %-24s | %12s | %22s |\n' "arenite / nginx" "$ratio" "$cpu_ratio"
awk -v r="$ratio" 'BEGIN { exit !(r >= 0.8) }' || echo "below the goal of 0.80 × nginx" >&2
