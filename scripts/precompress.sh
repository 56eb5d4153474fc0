#!/usr/bin/env bash
# Writes a brotli (.br, quality 11) and a gzip (.gz, level 9) copy next to every WASM, JS and CSS
# file of a release site's pkg/ folder, so the server sends them compressed without compressing
# per request (server/src/web/mod.rs: ServeDir with precompressed variants, negotiated by
# Accept-Encoding). Idempotent: a copy newer than its file is kept.
set -euo pipefail
pkg="${1:?usage: scripts/precompress.sh <site pkg directory>}"
[ -d "$pkg" ] || { echo "no directory $pkg" >&2; exit 1; }
command -v brotli >/dev/null || { echo "brotli is missing: apt-get install brotli (scripts/setup.sh does)" >&2; exit 1; }
count=0
for f in "$pkg"/*.wasm "$pkg"/*.js "$pkg"/*.css; do
  [ -e "$f" ] || continue
  [ "$f.br" -nt "$f" ] || brotli -q 11 -f -k -o "$f.br" "$f"
  [ "$f.gz" -nt "$f" ] || gzip -9 -n -c "$f" > "$f.gz"
  count=$((count + 1))
done
echo "precompressed $count files in $pkg (brotli and gzip)" >&2
