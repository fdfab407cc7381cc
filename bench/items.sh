#!/usr/bin/env bash
# Workspace data reads and writes on a demo workspace of BENCH_ITEMS items (default 100,000):
# GET /v1/items/{guid} (one item again and again, then items picked at random among all, with
# the share of them the read cache answered) and GET /v1/items?limit=400 with a session, and item creation by 32
# concurrent clients (every commit durable), each as a rate and as a ratio to GET /healthz on
# the same server in the same run. Environment: BENCH_ITEMS, BENCH_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ARENITE_BIN:-build/bin/arenite}
items=${BENCH_ITEMS:-100000}
seconds=${BENCH_SECONDS:-10}
cores=$(nproc)
command -v wrk >/dev/null 2>&1 || { echo "bench: wrk is missing; run scripts/install-deps.sh" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

printf 'bench password 123\n' >"$work/pw"
ids=$("$bin" init --data-dir "$work/data" --workspace Bench --admin-email bench@bench.test \
  --admin-password-file "$work/pw" 2>/dev/null)
workspace=$(echo "$ids" | python3 -c 'import json,sys; print(json.load(sys.stdin)["workspaceId"])')
start=$(date +%s.%N)
"$bin" demo-data --data-dir "$work/data" --workspace "$workspace" --items "$items" --seed 7 \
  >/dev/null 2>&1
fill=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" --log-level warn \
  --request-limit 1000000000 --io-threads "$cores" >"$work/out" 2>"$work/err" &
server_pid=$!
url="https://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -sk -o /dev/null "$url/healthz" && break; sleep 0.1; done
session=$(curl -sk "$url/v1/login" -H 'Content-Type: application/json' \
  -d '{"email":"bench@bench.test","password":"bench password 123"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["arenaSessionId"])')
guid=$(curl -sk "$url/v1/items?limit=1&offset=$((items / 2))" -H "arena_session_id: $session" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["guid"])')

# Every item of the workspace, for reads spread over all of them (most miss the read cache).
sqlite3 "$work/data/arenite.db" "SELECT guid FROM items WHERE workspace_guid = '$workspace'" \
  >"$work/guids.txt"
cat >"$work/spread.lua" <<LUA
local guids = {}
for line in io.lines("$work/guids.txt") do guids[#guids + 1] = line end
wrk.headers["arena_session_id"] = "$session"
local seeded = 0
setup = function(thread)
  seeded = seeded + 1
  thread:set("seed", seeded)
end
init = function()
  math.randomseed(seed * 7919)  -- each thread its own sequence of items
end
request = function()
  return wrk.format("GET", "/v1/items/" .. guids[math.random(#guids)])
end
LUA

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"name":"Bench part","description":"created by bench/items.sh"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["arena_session_id"] = "$session"
LUA

rate() {  # wrk arguments...; prints requests per second, checking every answer was 2xx
  local out
  out=$(wrk "$@" 2>&1)
  if echo "$out" | grep -q "Non-2xx"; then
    echo "bench: non-2xx answers: $(echo "$out" | grep Non-2xx)" >&2
    exit 1
  fi
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}

wrk -t2 -c32 -d2s "$url/healthz" >/dev/null  # warm-up
healthz=$(rate -t2 -c64 -d"${seconds}s" "$url/healthz")
one=$(rate -t2 -c64 -d"${seconds}s" -H "arena_session_id: $session" "$url/v1/items/$guid")
lookups() {  # prints the read cache's hits and misses so far
  curl -sk "$url/metrics" | awk -F'[ {}"]+' '/^arenite_read_cache_lookups_total/ {
    if ($3 == "hit") h = $4; if ($3 == "miss") m = $4 } END { print h + 0, m + 0 }'
}
read -r hits0 misses0 <<<"$(lookups)"
spread=$(rate -t2 -c64 -d"${seconds}s" -s "$work/spread.lua" "$url/v1/items")
read -r hits1 misses1 <<<"$(lookups)"
spread_hits=$(awk -v h=$((hits1 - hits0)) -v m=$((misses1 - misses0)) \
  'BEGIN { printf "%.0f%%", (h + m > 0) ? 100 * h / (h + m) : 0 }')
page=$(rate -t2 -c16 -d"${seconds}s" -H "arena_session_id: $session" "$url/v1/items?limit=400")
create=$(rate -t2 -c32 -d"${seconds}s" -s "$work/post.lua" "$url/v1/items")

printf '\nWorkspace data on %s demo items (filled in %s s), %s cores, wrk over HTTPS keep-alive\n\n' \
  "$items" "$fill" "$cores"
printf '| request | connections | requests/s | ratio to /healthz |\n| --- | ---: | ---: | ---: |\n'
for row in "GET /healthz|64|$healthz" "GET /v1/items/{guid}|64|$one" \
  "GET /v1/items/{guid}, any of all items ($spread_hits read-cache hits)|64|$spread" \
  "GET /v1/items?limit=400|16|$page" "POST /v1/items (durable)|32|$create"; do
  IFS='|' read -r name conns value <<<"$row"
  awk -v n="$name" -v c="$conns" -v v="$value" -v h="$healthz" \
    'BEGIN { printf "| %s | %s | %.0f | %.2f |\n", n, c, v, v / h }'
done
