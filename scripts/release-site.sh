#!/usr/bin/env bash
# Builds a release site as a deployment serves it, into the folder given:
# `cargo leptos build --release --split --features split` with content-hashed file names and the
# hash file in the site folder (`hash.txt`, which the server reads at start:
# server/src/web/bundle.rs); then, unless only the server was built, checks the WASM modules
# (scripts/wasm-check.py) and writes the files' brotli and gzip copies (scripts/precompress.sh).
# Used by scripts/package.sh, scripts/wasm-size.sh, scripts/lambda-package.sh and scripts/run.sh.
# Needs the tools scripts/setup.sh installs, with npm's wasm-opt first on PATH.
#
#   scripts/release-site.sh <site folder> [--frontend-only | --server-only]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: scripts/release-site.sh <site folder> [cargo leptos build flags]" >&2; exit 2; }
mkdir -p "$1"
# Absolute: cargo-leptos takes a relative hash file name as relative to the server binary's folder.
site="$(cd "$1" && pwd)"
shift
cd "$ROOT"
LEPTOS_SITE_ROOT="$site" LEPTOS_HASH_FILES=true LEPTOS_HASH_FILE_NAME="$site/hash.txt" \
  cargo leptos build --release --split --features split "$@"
case " $* " in *" --server-only "*) exit 0 ;; esac
# The release modules as wasm-opt must leave them (tables exported with their types, no
# producers/target_features/name/debug sections): a bundle that would not start is not served.
python3 scripts/wasm-check.py "$site/pkg"
scripts/precompress.sh "$site/pkg"
