#!/usr/bin/env bash
# Our gateway and the Janus 1.1.2 SIP plugin side by side: the same load generator (aiortc
# peers, PCMU, one SRTP profile), the same far end (sipp echoing RTP), the same N, inside a
# network namespace this script creates (and removes). Prints CPU and memory per call for both
# and ours as a ratio of Janus's. Needs root (ip netns, apt).
#
#   scripts/bench/janus/compare.sh                  # N = 50 100, SRTP = AEAD_AES_128_GCM
#   NS_LIST="50 100 200" WINDOW=30 scripts/bench/janus/compare.sh
#   GATEWAY_BIN=path/to/calls-… scripts/bench/janus/compare.sh   # no build: that binary
#
# The load generator, the far end's scenario and Janus's run come from the Janus anchor harness,
# kept outside this repository: JANUS_ANCHOR is its folder (docs/bench.md).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
ANCHOR="${JANUS_ANCHOR:-}"
NS_LIST=${NS_LIST:-"50 100"}
SRTP=${SRTP:-aes128gcm}           # str0m has no AES-256-GCM: both gateways on AES-128-GCM
WINDOW=${WINDOW:-30}
WARMUP=${WARMUP:-10}
ICE_IP=10.200.0.1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
VENV="${VENV:-$HOME/.cache/softphone/bench-venv}"
RUN="${RUN_BASE:-$(mktemp -d /tmp/softphone-vs-janus-XXXX)}"
mkdir -p "$RUN/ours" "$RUN/janus"

[ -n "$ANCHOR" ] || { echo "set JANUS_ANCHOR to the Janus anchor harness's folder (docs/bench.md)" >&2; exit 2; }
[ -d "$ANCHOR" ] || { echo "the Janus anchor harness is not at $ANCHOR (JANUS_ANCHOR)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root (network namespace, apt)" >&2; exit 2; }
missing=()
command -v janus >/dev/null || missing+=(janus)
command -v sipp >/dev/null || missing+=(sip-tester)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import aiortc" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$ANCHOR/loadgen/requirements.txt"
fi
PY="$VENV/bin/python"

if [ -n "${GATEWAY_BIN:-}" ]; then
  GATEWAY="$GATEWAY_BIN"   # an already built call benchmark (e.g. another revision's)
else
  echo "==> Building our gateway (release, the call benchmark binary)"
  (cd "$ROOT" && cargo bench -q -p telephony --bench calls --no-run 2>/dev/null)
  GATEWAY=$(ls -t "$CARGO_TARGET_DIR"/release/deps/calls-* | grep -v '\.d$' | head -1)
fi

NETNS="softphone-bench-$$"
cleanup() { ip netns pids "$NETNS" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$NETNS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NETNS"
ip netns exec "$NETNS" ip link set lo up
ip netns exec "$NETNS" ip link add v0 type veth peer name v1
ip netns exec "$NETNS" ip addr add "$ICE_IP/24" dev v0
ip netns exec "$NETNS" ip link set v0 up
ip netns exec "$NETNS" ip link set v1 up
inns() { ip netns exec "$NETNS" "$@"; }

echo "==> Our gateway: N = $NS_LIST, SRTP $SRTP, ${WINDOW}s window (results in $RUN/ours)"
for N in $NS_LIST; do
  # `ip netns exec` execs the program, so $! is the process measured (not a subshell).
  ip netns exec "$NETNS" sipp -sf "$ANCHOR/sipp/uas_echo.xml" -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 6000 \
    -rtp_echo -nostdin > "$RUN/ours/sipp-n$N.log" 2>&1 &
  SIPP_PID=$!
  ip netns exec "$NETNS" "$GATEWAY" --role gateway-server 127.0.0.1:7070 127.0.0.1:5070 "$ICE_IP" \
    > "$RUN/ours/gateway-n$N.log" 2>&1 &
  GW_PID=$!
  for _ in $(seq 50); do grep -q listening "$RUN/ours/gateway-n$N.log" && break; sleep 0.1; done
  inns "$PY" "$ANCHOR/loadgen/loadgen.py" --adapter "$HERE/softphone_adapter.py:SoftphoneGatewayAdapter" \
    --url tcp://127.0.0.1:7070 -n "$N" --setup-concurrency 5 --warmup "$WARMUP" --window "$WINDOW" \
    --ice-ip "$ICE_IP" --srtp "$SRTP" --target-pid "$GW_PID" --sipp-pid "$SIPP_PID" \
    --out "$RUN/ours/n$N.json" 2>&1 | tee "$RUN/ours/loadgen-n$N.log" | grep -E 'RESULT|calls up|failed' | head -5
  kill "$GW_PID" "$SIPP_PID" 2>/dev/null || true
  wait "$GW_PID" "$SIPP_PID" 2>/dev/null || true
  sleep 2
done

echo "==> Janus 1.1.2 SIP plugin: the same runs (results in $RUN/janus)"
# shellcheck disable=SC2086
inns env ICE_IP="$ICE_IP" PY="$PY" RUN_DIR="$RUN/janus" SRTP="$SRTP" WINDOW="$WINDOW" WARMUP="$WARMUP" \
  "$ANCHOR/run_bench.sh" $NS_LIST > "$RUN/janus/run.log" 2>&1 || { tail -20 "$RUN/janus/run.log"; exit 1; }

"$PY" - "$RUN" $NS_LIST <<'PYEOF'
import json, sys, os
run, ns = sys.argv[1], sys.argv[2:]
print()
print("| N | gateway | calls up | CPU % of a core | CPU per call (% core) | RSS MiB (max) | KiB per call | loss | RTT p50 / p99 ms |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
ratios = []
for n in ns:
    rows = {}
    for who in ("ours", "janus"):
        path = os.path.join(run, who, f"n{n}.json")
        if not os.path.exists(path):
            print(f"| {n} | {who} | no result | | | | | | |")
            continue
        r = json.load(open(path)); t = r["cpu"]["target"]
        rows[who] = t
        print(f"| {n} | {'softphone gateway' if who == 'ours' else 'Janus SIP plugin'} | {r['peers_up']}/{r['peers_requested']} | "
              f"{t['cpu_pct_of_one_core']} | {t['cpu_pct_per_call']} | {round(t['rss_kib_window_max']/1024, 1)} | "
              f"{t['rss_kib_per_call_vs_start']} | {r['loss_ratio']} | {r['rtt_ms']['p50']} / {r['rtt_ms']['p99']} |")
    if len(rows) == 2 and rows["janus"]["cpu_pct_per_call"]:
        ratios.append((n, rows["ours"]["cpu_pct_per_call"] / rows["janus"]["cpu_pct_per_call"],
                       rows["ours"]["rss_kib_per_call_vs_start"] / max(rows["janus"]["rss_kib_per_call_vs_start"], 1e-9)))
print()
for n, cpu, mem in ratios:
    print(f"N={n}: our CPU per call = {cpu:.2f} × Janus's; our memory per call = {mem:.2f} × Janus's")
PYEOF
echo "raw results: $RUN"
