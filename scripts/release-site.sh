#!/usr/bin/env bash
# Builds a release site as a deployment serves it, into the folder given:
# `cargo leptos build --release --split --features split` with content-hashed file names and the
# hash file in the site folder (`hash.txt`, which the server reads at start:
# server/src/web/bundle.rs); then, unless only the server was built, gives the main module's
# JS imports short names (scripts/wasm-short-imports.py), writes the lazy-module loader compactly
# (scripts/wasm-split-loader.py), checks the WASM modules
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
# The WASM's panic locations name the registry's source folder: without it they are shorter
# (`reactive_graph-0.2.16/src/…`). Added to .cargo/config.toml's flags for wasm32 (cargo-leptos
# reads both); the native server build is untouched.
remaps=""
for source in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  [ -d "$source" ] && remaps="$remaps --remap-path-prefix=$source="
done
LEPTOS_SITE_ROOT="$site" LEPTOS_HASH_FILES=true LEPTOS_HASH_FILE_NAME="$site/hash.txt" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${remaps# }" \
  cargo leptos build --release --split --features split "$@"
case " $* " in *" --server-only "*) exit 0 ;; esac
# Short names for the main module's JS imports: their hashes were 40 % of the entry JS gzipped.
python3 scripts/wasm-short-imports.py "$site"
# The lazy-module loader written compactly, its modules' hashes cut to 12 characters.
python3 scripts/wasm-split-loader.py "$site"
# The release modules as wasm-opt must leave them (tables exported with their types, no
# producers/target_features/name/debug sections): a bundle that would not start is not served.
python3 scripts/wasm-check.py "$site/pkg"
scripts/precompress.sh "$site/pkg"
