#!/usr/bin/env bash
# Builds the browser bundle exactly as `cargo leptos build --release` does (wasm-release
# profile: opt-level z, LTO, one codegen unit; wasm-bindgen; wasm-opt -Oz) and prints its size
# raw and gzipped. Fails if the gzipped bundle exceeds the budget (400 KB).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export LEPTOS_OUTPUT_NAME=softphone
BUDGET_GZ=$((400 * 1024))

cargo build --locked -q -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
out="$CARGO_TARGET_DIR/wasm-size"
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name softphone \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  -o "$out/softphone.opt.wasm" "$out/softphone_bg.wasm"

size() { stat -c %s "$1"; }
gz() { gzip -9 -c "$1" | wc -c; }
raw_before=$(size "$out/softphone_bg.wasm")
raw=$(size "$out/softphone.opt.wasm")
gzipped=$(gz "$out/softphone.opt.wasm")
js=$(size "$out/softphone.js")
js_gz=$(gz "$out/softphone.js")
printf 'release WASM  before wasm-opt: %8d B raw\n' "$raw_before"
printf 'release WASM  after  wasm-opt: %8d B raw  %8d B gzip -9  (%d KB gz; budget %d KB)\n' \
  "$raw" "$gzipped" $((gzipped / 1024)) $((BUDGET_GZ / 1024))
printf 'JS glue:                       %8d B raw  %8d B gzip -9\n' "$js" "$js_gz"
if [ "$gzipped" -gt "$BUDGET_GZ" ]; then
  echo "FAIL: the release WASM is over the ${BUDGET_GZ}-byte gzip budget" >&2
  exit 1
fi
