#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz, libFuzzer) of what users, browsers and the network send
# us: the targets in fuzz/fuzz_targets/ (docs/testing.md, "Fuzzing"). Installs cargo-fuzz if it
# is missing, builds every target, then runs each for FUZZ_SECONDS (default 20) from its seed
# corpus in fuzz/corpus/<target>/ plus what earlier runs on this machine found. Fails on the
# first crash, naming the input that caused it.
#
#   scripts/fuzz.sh                 every target, 20 s each (what the test command runs)
#   FUZZ_SECONDS=300 scripts/fuzz.sh numbers sip_sdp
#
# The nightly toolchain builds the targets when rustup has one; otherwise the stable one with
# RUSTC_BOOTSTRAP=1 (cargo fuzz's coverage flags are `-C` flags; only its cargo call needs the
# unstable gate). No sanitizer: the code under test is safe Rust, and panics, overflow checks
# and debug assertions are what catch its bugs, without ASan's cost on every execution.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
CARGO_FUZZ_VERSION=0.13.2
SECONDS_EACH="${FUZZ_SECONDS:-20}"
# The targets' build and the corpus they grew, outside the clone (CI reuses them run after run).
TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/softphone/fuzz-target}"
WORK="${FUZZ_WORK_DIR:-$HOME/.cache/softphone/fuzz-work}"

if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
  echo "Installing cargo-fuzz $CARGO_FUZZ_VERSION (one time, about 2 minutes)"
  cargo install --force --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi
if rustup toolchain list | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
fi
# 16 codegen units, not cargo fuzz's 1: the cold build takes a fraction of the time.
flags=(--sanitizer none --fuzz-dir "$ROOT/fuzz" --target-dir "$TARGET_DIR")
build_flags=(--codegen-units 16)

cd "$ROOT"
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir fuzz); fi
started=$SECONDS
mkdir -p "$WORK"
if ! "${fuzz[@]}" build "${flags[@]}" "${build_flags[@]}" > "$WORK/build.log" 2>&1; then
  tail -40 "$WORK/build.log"
  echo "building the fuzz targets failed"
  exit 1
fi
echo "fuzz targets built in $((SECONDS - started)) s"

for target in "${targets[@]}"; do
  corpus="$WORK/corpus/$target"
  artifacts="$WORK/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  log="$WORK/$target.log"
  echo "fuzzing $target for $SECONDS_EACH s"
  # New inputs go to the machine's corpus (first folder); the committed seeds are only read.
  if ! "${fuzz[@]}" run "${flags[@]}" "${build_flags[@]}" "$target" "$corpus" "fuzz/corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" > "$log" 2>&1; then
    tail -60 "$log"
    crash="$(grep -ao 'Test unit written to .*' "$log" | tail -1 | cut -d' ' -f5-)"
    echo "FUZZ FAILURE in $target: input ${crash:-(none written; see $log)}"
    echo "reproduce: ${fuzz[*]} run ${flags[*]} $target ${crash:-<input>}"
    exit 1
  fi
  grep -aE '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' "$log" | tr '\n' ' '
  echo
done
echo "fuzzing passed: ${#targets[@]} targets, $SECONDS_EACH s each ($((SECONDS - started)) s in all)"
