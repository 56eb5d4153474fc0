#!/usr/bin/env bash
# Gateway CPU and memory per call, two revisions back to back: `scripts/bench/gateway-ab.sh
# BEFORE [AFTER]` (AFTER: the working tree). Builds each revision's call benchmark
# (`telephony/benches/calls`) in a throwaway worktree with its own target dir under
# ~/.cache/softphone/ab/, then runs them alternately, ROUNDS times per size, and prints every
# run and the median per size. Alternating spreads the machine's other load over both sides;
# one run is too noisy on two cores to compare (runs of the same binary differ by up to a third).
# Knobs: AB_CALLS="50 200" (sizes), AB_ROUNDS=3, AB_WINDOW_S=20.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BEFORE="${1:?usage: gateway-ab.sh BEFORE-REV [AFTER-REV]}"
AFTER="${2:-}"
CALLS="${AB_CALLS:-50 200}"
ROUNDS="${AB_ROUNDS:-3}"
WINDOW="${AB_WINDOW_S:-20}"
CACHE="$HOME/.cache/softphone/ab"
mkdir -p "$CACHE"

# Builds the benchmark of revision $1 (empty: the working tree); prints its executable.
bench_binary() {
  local rev="$1" tree target
  if [ -z "$rev" ]; then
    tree="$ROOT"
    target="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
  else
    local sha
    sha="$(git -C "$ROOT" rev-parse --short "$rev")"
    tree="$CACHE/tree-$sha"
    target="$CACHE/target-$sha"
    if [ ! -d "$tree" ]; then
      git -C "$ROOT" worktree add -f --detach "$tree" "$sha" >&2
    fi
  fi
  (cd "$tree" && CARGO_TARGET_DIR="$target" cargo bench -p telephony --bench calls --no-run \
    --message-format=json 2>/dev/null) |
    python3 -c 'import json,sys
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "calls":
        print(m["executable"])' | tail -1
}

echo "building $BEFORE and ${AFTER:-the working tree}…" >&2
OLD="$(bench_binary "$BEFORE")"
NEW="$(bench_binary "$AFTER")"
[ -x "$OLD" ] && [ -x "$NEW" ] || { echo "a benchmark did not build" >&2; exit 1; }

# One capacity run of $1 at $2 calls: "CPU per call (% core) | KiB per call".
run() {
  BENCH_CALLS="$2" BENCH_WINDOW_S="$WINDOW" BENCH_PDD_CALLS=3 BENCH_RECORD_CALLS=1 "$1" --bench 2>/dev/null |
    grep -A4 '^## Capacity' | tail -1 | awk -F'|' '{gsub(/ /,""); print $5" "$7}'
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '| calls | %s CPU per call (%% core), runs | median | %s runs | median | %s KiB per call (median) | %s |\n' \
  "$BEFORE" "${AFTER:-working tree}" "$BEFORE" "${AFTER:-working tree}"
echo '| --- | --- | --- | --- | --- | --- | --- |'
for n in $CALLS; do
  old_cpu=() new_cpu=() old_mem=() new_mem=()
  for _ in $(seq "$ROUNDS"); do
    read -r c m < <(run "$OLD" "$n"); old_cpu+=("$c"); old_mem+=("$m")
    read -r c m < <(run "$NEW" "$n"); new_cpu+=("$c"); new_mem+=("$m")
  done
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" \
    "${old_cpu[*]}" "$(printf '%s\n' "${old_cpu[@]}" | median)" \
    "${new_cpu[*]}" "$(printf '%s\n' "${new_cpu[@]}" | median)" \
    "$(printf '%s\n' "${old_mem[@]}" | median)" "$(printf '%s\n' "${new_mem[@]}" | median)"
done
