#!/usr/bin/env bash
# Builds and serves the app on the embedded default (SQLite, local identity) at
# http://127.0.0.1:3000. Installs what is missing first. Stop it with Ctrl-C.
#
#   scripts/run.sh            the release bundle (what production sends: optimised WASM, hashed
#                             names, brotli/gzip) served by the debug server, the test command's
#                             build: the page loads as it would in production, without the long
#                             release build of the server (its AWS SDKs) on the first run
#   scripts/run.sh --release  the release server too: exactly what a deployment runs
#                             (scripts/package.sh builds the same pair into a tarball)
#   scripts/run.sh --debug    the debug bundle (7 MB of WASM, uncompressed) with
#                             `cargo leptos serve`: quick to rebuild, for working on the UI (or use
#                             `cargo leptos watch`, README "Developing")
set -euo pipefail
mode=bundle
case "${1:-}" in
"") ;;
--release) mode=release ;;
--debug) mode=debug ;;
*) echo "usage: scripts/run.sh [--release | --debug]" >&2; exit 2 ;;
esac
SETUP_FOR=run source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
export SOFTPHONE_LOG_FORMAT="${SOFTPHONE_LOG_FORMAT:-text}"

if [ "$mode" = debug ]; then
  step "Building and starting the softphone: debug bundle and server (first build: about 10 minutes on 2 cores)"
  echo "    When it is up: http://127.0.0.1:3000  (data in $ROOT/data)"
  exec cargo leptos serve --split --features split
fi

# The release site in its own folder (the tests' debug site stays as it is), its files named by
# their content's hash, checked and precompressed, as scripts/package.sh builds it
# (scripts/release-site.sh).
site="$CARGO_TARGET_DIR/run-site"
if [ "$mode" = release ]; then
  step "Building the release server and bundle (first build: about 25 minutes on 2 cores)"
  scripts/release-site.sh "$site"
  server="$CARGO_TARGET_DIR/release/server"
else
  step "Building the release bundle and the debug server (first build: about 12 minutes on 2 cores; --release for the release server)"
  scripts/release-site.sh "$site" --frontend-only
  cargo leptos build --split --features split --server-only
  server="$CARGO_TARGET_DIR/debug/server"
fi

step "Starting the softphone ($([ "$mode" = release ] && echo "release server" || echo "debug server"), release bundle)"
echo "    http://127.0.0.1:3000  (data in $ROOT/data; Ctrl-C stops it)"
export LEPTOS_SITE_ROOT="$site" LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=softphone
exec "$server"
