#!/usr/bin/env bash
# Soak: SOAK_CALLS recorded calls at once (default 100) through the real server binary for
# SOAK_MINUTES (default 30), each hanging up after 20-60 s, deleting its recording and calling
# again; prints the server's memory and open file descriptors every 30 s. Not part of the test
# command (issue 15: a benchmark, figures in docs/bench.md "Soak").
#   SOAK_CALLS=100 SOAK_MINUTES=30 scripts/bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
export SOAK_CALLS="${SOAK_CALLS:-100}" SOAK_MINUTES="${SOAK_MINUTES:-30}"
cargo test --locked -p server --test soak_recorded_calls -- --ignored --nocapture
