#!/usr/bin/env bash
# Builds the browser bundle exactly as a release deployment does (`cargo leptos build --release
# --split --features split`: wasm-release profile, opt-level z, LTO, one codegen unit;
# wasm-bindgen; wasm-opt; lazy routes split into chunks; content-hashed file names, listed in
# the site's hash.txt), checks it (scripts/wasm-check.py), precompresses it
# (scripts/precompress.sh) and prints its sizes (scripts/bundle-size.py): for the first load
# (the keypad after sign-in) and for all pages, WASM, JS and CSS, raw, gzip and brotli; then the
# Chime SDK bundle (loaded only for calls through Chime; not in the budget).
# The site it leaves ($CARGO_TARGET_DIR/wasm-size-site) is the one the test command packages.
#
# Fails if the first load (WASM + JS + CSS, gzip -9) is over SOFTPHONE_FIRST_LOAD_BUDGET bytes:
# by default the goal, 250 KB read as 250 000 B (docs/bench.md, "First load"; 250 KiB, the
# looser reading, until 2026-12-06), so a change that grows the first load past it fails here,
# as keeping the read-only data in the main module once did unseen.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export LEPTOS_OUTPUT_NAME=softphone
budget="${SOFTPHONE_FIRST_LOAD_BUDGET:-250000}"
goal=250000

# Its own site directory: the debug site the end-to-end tests serve stays as it is. Emptied first:
# hashing renames whatever is in pkg/, an earlier build's files included.
site="$CARGO_TARGET_DIR/wasm-size-site"
rm -rf "$site"
log="$CARGO_TARGET_DIR/wasm-size-build.log"
build() { scripts/release-site.sh "$site" --frontend-only; }
if build >"$log" 2>&1; then
  # The build's own lines stay in the log; the check's and the copies' are part of the report.
  grep -E '^(release checks:|precompressed |wasm-split-loader: )' "$log"
else
  rm -rf "$site"
  build
fi
python3 scripts/bundle-size.py "$site" "$budget" "$goal"
scripts/chime-bundle.sh --sizes
