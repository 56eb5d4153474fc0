#!/usr/bin/env bash
# Where the gateway's time goes at N concurrent echo calls: runs the call benchmark's capacity
# section (`telephony/benches/calls`, BENCH_CALLS=N) and, once the calls are up, attaches perf
# to the gateway process (its own process, `--role gateway`): counts (CPU, context switches,
# syscalls, malloc calls) over PROFILE_S seconds, then a call-graph profile, and prints the
# counts per packet and the top symbols (user and kernel). Needs perf (Debian: linux-perf) and
# root or perf_event_paranoid ≤ 1; `malloc` counts need a uprobe (perf probe on libc).
#   scripts/bench/gateway-profile.sh [BENCH_BINARY]      # N=200, PROFILE_S=10
# BENCH_BINARY: the call benchmark's executable (default: built here with cargo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N="${N:-200}"
PROFILE_S="${PROFILE_S:-10}"
OUT="${OUT:-$(mktemp -d /tmp/gateway-profile-XXXX)}"
mkdir -p "$OUT"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  BIN=$(cd "$ROOT" && cargo bench -p telephony --bench calls --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "calls":
        print(m["executable"])')
fi
LIBC=$(ldd "$BIN" | awk '/libc.so/ {print $3}')
perf probe -q -x "$LIBC" malloc 2>/dev/null || true
MALLOC_EVENT=""
case "$(perf probe -l 2>/dev/null || true)" in *probe_libc:malloc*) MALLOC_EVENT=probe_libc:malloc ;; esac

# A window long enough for the counts and the profile, then the bench is stopped.
BENCH_CALLS="$N" BENCH_WINDOW_S=$((PROFILE_S * 2 + 10)) BENCH_PDD_CALLS=5 "$BIN" --bench > "$OUT/bench.log" 2>&1 &
BENCH=$!
GW=""
for _ in $(seq 100); do
  GW=$(pgrep -P "$BENCH" -f -- "--role gateway" || true)
  [ -n "$GW" ] && break
  sleep 0.2
done
[ -n "$GW" ] || { echo "no gateway process" >&2; kill "$BENCH"; exit 1; }
# Post-dial delay calls, set-up in batches of 10 and the 3 s warm-up.
sleep $((N / 60 + 8))
EVENTS=cpu-clock,task-clock,context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex
[ -n "$MALLOC_EVENT" ] && EVENTS="$EVENTS,$MALLOC_EVENT"
perf stat -x, -e "$EVENTS" -p "$GW" -- sleep "$PROFILE_S" 2> "$OUT/stat.csv"
perf record -q -F 999 -g -p "$GW" -o "$OUT/perf.data" -- sleep "$PROFILE_S" 2>/dev/null
kill "$BENCH" 2>/dev/null || true
wait "$BENCH" 2>/dev/null || true
perf probe -q -d probe_libc:malloc 2>/dev/null || true

# The load: every call is 50 packets a second each way on each leg (in and out on both sides).
PACKETS=$((N * 200 * PROFILE_S))
echo "# gateway at $N calls, ${PROFILE_S}s: $PACKETS packets in + out (200 a second per call)"
awk -F, -v p="$PACKETS" -v s="$PROFILE_S" '$3 != "" && $1 ~ /^[0-9.]+$/ {
  printf "%-36s %14.0f  per second %10.0f  per packet %.3f\n", $3, $1, $1 / s, $1 / p }' "$OUT/stat.csv"
echo
echo "## top symbols (self), user and kernel"
perf report -i "$OUT/perf.data" --no-children -g none --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -40
echo
echo "## by binary / kernel"
perf report -i "$OUT/perf.data" --no-children -g none --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8
echo "raw: $OUT"
