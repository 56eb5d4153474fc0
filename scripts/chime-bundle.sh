#!/usr/bin/env bash
# Builds the Chime browser module (chime-client/src/chime.js around amazon-chime-sdk-js) into
# public/chime/chime-sdk-<version>.js, which cargo-leptos copies to the site and the app loads
# only for calls through Chime (app/src/phone/chime.rs). Run by scripts/setup.sh; quick when the
# bundle is newer than its sources. Prints the bundle's sizes with --sizes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
client="$ROOT/chime-client"
cd "$client"

# The SDK version as locked: the bundle's file name carries it, so a new version is a new URL
# (files in public/ get no content hash) and app/src/phone/chime.rs names the same file.
version="$(node -p 'require("./package-lock.json").packages["node_modules/amazon-chime-sdk-js"].version')"
out="$ROOT/public/chime/chime-sdk-$version.js"

# npm packages exactly as locked, as scripts/setup.sh installs the root ones.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -x node_modules/.bin/esbuild ] || [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  printf '\n==> %s\n' "Installing the Chime SDK's npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lock-hash
fi

if [ ! -s "$out" ] || [ src/chime.js -nt "$out" ] || [ package-lock.json -nt "$out" ]; then
  printf '\n==> %s\n' "Bundling amazon-chime-sdk-js $version (public/chime/)"
  rm -rf "$ROOT/public/chime"
  mkdir -p "$ROOT/public/chime"
  # --define:global=globalThis: the SDK's CSPMonitor reads Node's `global` (join() throws
  # without it). The alias: the messaging client's package.json leads esbuild to its Node build
  # (`node:*` imports); its ES build is the browser one.
  node_modules/.bin/esbuild src/chime.js --bundle --format=esm --platform=browser --minify \
    --define:global=globalThis \
    --alias:@aws-sdk/client-chime-sdk-messaging=@aws-sdk/client-chime-sdk-messaging/dist-es/index.js \
    --log-level=warning --outfile="$out"
fi

if [ "${1:-}" = "--sizes" ]; then
  printf 'Chime SDK bundle (%s, loaded only for Chime calls): %8d B minified  %8d B gzip -9  %8d B brotli\n' \
    "public/chime/$(basename "$out")" "$(stat -c %s "$out")" "$(gzip -9 -c "$out" | wc -c)" \
    "$( (command -v brotli >/dev/null && brotli -c "$out" || node -e 'process.stdout.write(require("zlib").brotliCompressSync(require("fs").readFileSync(process.argv[1])))' "$out") | wc -c)"
fi
