#!/usr/bin/env bash
# Builds the browser bundle exactly as a release deployment does (`cargo leptos build --release
# --split --features split`: wasm-release profile, opt-level z, LTO, one codegen unit;
# wasm-bindgen; wasm-opt; lazy routes split into chunks), checks it (scripts/wasm-check.py) and
# prints the sizes, raw and gzipped:
# the main module (what every first visit loads), each lazily loaded page chunk, and the total;
# then the Chime SDK bundle (loaded only for calls through Chime; not in the budget).
# Fails if the main module exceeds the budget (400 KB gzipped).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export LEPTOS_OUTPUT_NAME=softphone
BUDGET_GZ=$((400 * 1024))

# Its own site directory: the debug site the end-to-end tests serve stays as it is.
site="$CARGO_TARGET_DIR/wasm-size-site"
rm -rf "$site"
LEPTOS_SITE_ROOT="$site" cargo leptos build --release --split --features split --frontend-only >/dev/null 2>&1 ||
  LEPTOS_SITE_ROOT="$site" cargo leptos build --release --split --features split --frontend-only
pkg="$site/pkg"
python3 scripts/wasm-check.py "$pkg"

size() { stat -c %s "$1"; }
gz() { gzip -9 -c "$1" | wc -c; }
main="$pkg/softphone.wasm"
raw=$(size "$main")
gzipped=$(gz "$main")
printf 'release WASM, main module (first load): %8d B raw  %8d B gzip -9  (%d KB gz; budget %d KB)\n' \
  "$raw" "$gzipped" $((gzipped / 1024)) $((BUDGET_GZ / 1024))
total_raw=$raw
total_gz=$gzipped
count=0
chunks=0
chunks_gz=0
for f in "$pkg"/split_*.wasm "$pkg"/chunk_*.wasm; do
  [ -e "$f" ] || continue
  r=$(size "$f")
  g=$(gz "$f")
  total_raw=$((total_raw + r))
  total_gz=$((total_gz + g))
  count=$((count + 1))
  case "$(basename "$f")" in
  split_*) printf '  lazy page %-52s %8d B raw  %8d B gzip -9\n' "$(basename "$f" .wasm)" "$r" "$g" ;;
  *) chunks=$((chunks + 1)) chunks_gz=$((chunks_gz + g)) ;;
  esac
done
printf 'lazily loaded modules: %d (pages and shared chunks); the %d shared chunks: %d B gzip -9\n' \
  "$count" "$chunks" "$chunks_gz"
printf 'release WASM, everything (main + all lazy modules): %8d B raw  %8d B gzip -9 (%d KB gz)\n' \
  "$total_raw" "$total_gz" $((total_gz / 1024))
js=$(size "$pkg/softphone.js")
js_gz=$(gz "$pkg/softphone.js")
printf 'JS glue: %8d B raw  %8d B gzip -9\n' "$js" "$js_gz"
scripts/chime-bundle.sh --sizes
if [ "$gzipped" -gt "$BUDGET_GZ" ]; then
  echo "FAIL: the main release WASM module is over the ${BUDGET_GZ}-byte gzip budget" >&2
  exit 1
fi
