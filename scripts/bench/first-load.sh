#!/usr/bin/env bash
# First-load benchmark: the release package (scripts/package.sh: release server, release site
# with hashed, precompressed files) started on the embedded default in a temporary folder, and
# scripts/bench/first-load.mjs measuring, in Debian's Chromium, cold load → hydrated, interactive
# keypad and the bytes transferred, unthrottled and with DevTools' "Slow 4G" + 4× CPU slowdown.
# Prints figures (docs/bench.md, "First load"); not a test.
#
#   scripts/bench/first-load.sh [package tarball] [runs]   (default: build the release package; 5)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
tarball="${1:-}"
runs="${2:-5}"
if [ -z "$tarball" ]; then
  tarball="$(scripts/package.sh --out "$CARGO_TARGET_DIR/package" | tail -1)"
fi
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
tar -xzf "$tarball" -C "$work"
top="$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'softphone-*' | head -1)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$work/data"
(cd "$work/data" && exec env -i PATH=/usr/bin:/bin HOME="$work/data" \
  LEPTOS_SITE_ROOT="$top/site" LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=softphone \
  SOFTPHONE_DATA_DIR="$work/data" LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  "$top/bin/server") >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
  [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/healthz" || true)" = ok ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
echo "package: $(basename "$tarball"); server binary: $(file -b "$top/bin/server" | cut -d, -f1-2)"
node scripts/bench/first-load.mjs "http://127.0.0.1:$port" "$runs"
