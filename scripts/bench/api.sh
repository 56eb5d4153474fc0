#!/usr/bin/env bash
# The API under load (docs/bench.md, "API under load"): the release server on a fresh data
# directory, one user signed up through the app's own sign-up, 10 000 contacts and 100 000 call
# records seeded through the store port (server/examples/api_seed.rs), then each endpoint at a
# fixed rate (open loop: requests leave on schedule whether or not earlier ones have answered,
# and latency counts from the scheduled time) with oha, one endpoint after another. Prints, per
# endpoint: p50, p99, max, errors (non-2xx or failed), the server's CPU (% of one core, from
# /proc) and the load generator's.
#
#   scripts/bench/api.sh                          # SQLite, 1 000 requests/s, 30 s each
#   scripts/bench/api.sh --store dynamodb --rate 50 --duration 10
#
# Options: --store sqlite|dynamodb, --rate N, --duration SECONDS, --contacts N, --calls N,
# --only NAME (one endpoint), --server PATH (another server binary, e.g. an older build, on the
# same seeded data), --no-build, --debug (the debug build: only to check this script). DynamoDB
# runs against moto: SOFTPHONE_TEST_MOTO if set, else one started here from
# ~/.cache/softphone/moto, whose request log then gives how many DynamoDB requests each API
# call made (over 50 calls one at a time).
#
# oha comes from crates.io: cargo install --locked --root ~/.cache/softphone/oha oha
# The per-user request rate (SOFTPHONE_API_RATE, 10/s by default) is lifted for the run: one
# user stands for the whole load here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
OHA="${OHA:-$HOME/.cache/softphone/oha/bin/oha}"
MOTO_VENV="$HOME/.cache/softphone/moto"

store=sqlite rate=1000 duration=30 contacts=10000 calls=100000 only="" server="" build=1 profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --store) store="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --contacts) contacts="$2"; shift 2 ;;
    --calls) calls="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --server) server="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --debug) profile=debug; shift ;;
    *) echo "unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
case "$store" in sqlite | dynamodb) ;; *) echo "--store sqlite or dynamodb" >&2; exit 2 ;; esac
[ -x "$OHA" ] || { echo "oha is missing: cargo install --locked --root ~/.cache/softphone/oha oha" >&2; exit 1; }

# The server as released (no dev-dependencies: building it together with the example would
# unify their features into it); the seeder in the debug profile, where they belong.
if [ "$build" = 1 ]; then
  echo "building the $profile server and the seeder…" >&2
  release=(--release)
  [ "$profile" = release ] || release=()
  (cd "$ROOT" && nice -n 19 cargo build "${release[@]}" -p server --features split --bin server &&
    nice -n 19 cargo build -p server --example api_seed) >&2
fi
server="${server:-$CARGO_TARGET_DIR/$profile/server}"
seeder="$CARGO_TARGET_DIR/debug/examples/api_seed"

work="$(mktemp -d /tmp/softphone-api-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # url
  for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "$1 did not answer" >&2; return 1
}

store_env=()
if [ "$store" = dynamodb ]; then
  if [ -z "${SOFTPHONE_TEST_MOTO:-}" ]; then
    moto_port="$(free_port)"
    "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
    pids+=($!)
    SOFTPHONE_TEST_MOTO="http://127.0.0.1:$moto_port"
    moto_log="$work/moto.log"
    wait_for "$SOFTPHONE_TEST_MOTO/moto-api/" || { cat "$work/moto.log" >&2; exit 1; }
  fi
  export AWS_ENDPOINT_URL="$SOFTPHONE_TEST_MOTO" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  table="softphone-api-bench-$$"
  store_env=(SOFTPHONE_STORE=dynamodb SOFTPHONE_DYNAMODB_TABLE="$table")
  env "${store_env[@]}" "$server" dynamodb create-table >&2
fi

# The server as the release package's unit runs it (infra/package/softphone.service), with no
# site (the API needs none).
port="$(free_port)"
base="http://127.0.0.1:$port"
mkdir -p "$work/data" "$work/site/pkg"
env "${store_env[@]}" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$work/site" \
  LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=softphone SOFTPHONE_DATA_DIR="$work/data" \
  SOFTPHONE_LOG_FORMAT=json SOFTPHONE_API_BURST=100000 SOFTPHONE_API_RATE=100000 \
  "$server" >"$work/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
wait_for "$base/healthz" || { cat "$work/server.log" >&2; exit 1; }

# Signed up as the app does: the session cookies it sets are the server function's
# credentials, and their access token is the REST API's Bearer token.
password="Bench-horse-14!"
curl -fsS -D "$work/headers" -o /dev/null -H 'Content-Type: application/json' -H "Origin: $base" \
  -d "{\"email\":\"bench@example.com\",\"password\":\"$password\",\"confirm\":\"$password\"}" \
  "$base/api/auth/sign_up"
token="$(sed -n 's/^[Ss]et-[Cc]ookie: sp_access=\([^;]*\);.*/\1/p' "$work/headers")"
[ -n "$token" ] || { echo "no access token from sign-up" >&2; cat "$work/headers" >&2; exit 1; }
owner="$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/me" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["sub"])')"

echo "seeding $contacts contacts and $calls calls ($store)…" >&2
if [ "$store" = sqlite ]; then
  "$seeder" --owner "$owner" --sqlite "$work/data/softphone.sqlite3" --contacts "$contacts" --calls "$calls" >&2
else
  # One write at a time: moto answers concurrent transactions with 500s.
  "$seeder" --owner "$owner" --dynamodb "$table" --contacts "$contacts" --calls "$calls" --parallel 1 >&2
fi

# name | method | path | body (server functions: JSON with the session cookie)
endpoints=(
  "me|GET|/api/v1/me|"
  "contacts|GET|/api/v1/contacts?limit=50|"
  "contacts-search|GET|/api/v1/contacts?limit=50&search=tan|"
  "contacts-search-number|GET|/api/v1/contacts?limit=50&search=8123|"
  "calls|GET|/api/v1/calls?limit=50|"
  "fn-calls-list|POST|/api/calls/list|{\"filter\":\"all\",\"search\":\"\",\"cursor\":null}"
)

request_args() { # method path body → curl-style arguments for oha
  local method="$1" path="$2" body="$3"
  if [ -n "$body" ]; then
    printf '%s\n' -m "$method" -H "Cookie: sp_access=$token" -H 'Accept: application/json' -H "Origin: $base" \
      -T application/json -d "$body" "$base$path"
  else
    printf '%s\n' -m "$method" -H "Authorization: Bearer $token" "$base$path"
  fi
}

once() { # method path body [curl options…]: one request as oha sends it
  local method="$1" path="$2" body="$3"
  shift 3
  if [ -n "$body" ]; then
    curl -sS "$@" -X "$method" -H "Cookie: sp_access=$token" -H 'Content-Type: application/json' -H "Origin: $base" \
      --data-raw "$body" "$base$path"
  else
    curl -sS "$@" -X "$method" -H "Authorization: Bearer $token" "$base$path"
  fi
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs" >&2
printf '| endpoint | rate (req/s) | requests | p50 (ms) | p99 (ms) | max (ms) | errors | server CPU (%% core) | oha CPU (%% core) | DynamoDB requests per call |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for endpoint in "${endpoints[@]}"; do
  IFS='|' read -r name method path body <<<"$endpoint"
  [ -z "$only" ] || [ "$only" = "$name" ] || continue
  mapfile -t args < <(request_args "$method" "$path" "$body")
  # The answer must be a success before it is timed.
  status="$(once "$method" "$path" "$body" -o "$work/answer" -w '%{http_code}')"
  [ "$status" = 200 ] || { echo "$name answered $status: $(head -c 300 "$work/answer")" >&2; exit 1; }
  dynamodb_per_call="–"
  if [ -n "${moto_log:-}" ]; then
    # moto logs every request it serves; the API calls made one at a time, nothing else running.
    seen="$(grep -c '"POST / HTTP' "$moto_log" || true)"
    for _ in $(seq 1 50); do once "$method" "$path" "$body" -o /dev/null; done
    sleep 0.5
    dynamodb_per_call="$(echo "scale=1; ($(grep -c '"POST / HTTP' "$moto_log") - $seen) / 50" | bc)"
  fi
  before="$(cpu_ticks "$server_pid")"
  started="$(date +%s.%N)"
  /usr/bin/time -f '%U %S' -o "$work/oha-time" "$OHA" --no-tui --output-format json \
    -q "$rate" -z "${duration}s" -w -c 64 --latency-correction "${args[@]}" >"$work/oha.json"
  elapsed="$(echo "$(date +%s.%N) - $started" | bc)"
  after="$(cpu_ticks "$server_pid")"
  python3 - "$work/oha.json" "$name" "$rate" "$(( after - before ))" "$hz" "$elapsed" "$dynamodb_per_call" $(cat "$work/oha-time") <<'EOF'
import json, sys
path, name, rate, ticks, hz, elapsed, dynamodb, user, system = sys.argv[1:10]
r = json.load(open(path))
elapsed = float(elapsed)
ms = lambda s: f"{s * 1000:.2f}" if s is not None else "–"
codes = r.get("statusCodeDistribution", {})
ok = sum(n for code, n in codes.items() if code.startswith("2"))
total = sum(codes.values()) + sum(r.get("errorDistribution", {}).values())
lat = r["latencyPercentiles"]
for kind, n in r.get("errorDistribution", {}).items():
    print(f"{name}: {n} × {kind}", file=sys.stderr)
for code, n in codes.items():
    if not code.startswith("2"):
        print(f"{name}: {n} × HTTP {code}", file=sys.stderr)
server_cpu = int(ticks) / int(hz) / elapsed * 100
oha_cpu = (float(user) + float(system)) / elapsed * 100
print(f"| {name} | {rate} | {total} | {ms(lat['p50'])} | {ms(lat['p99'])} | {ms(r['summary']['slowest'])} "
      f"| {total - ok} | {server_cpu:.0f} | {oha_cpu:.0f} | {dynamodb} |")
EOF
done
