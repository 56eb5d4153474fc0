#!/usr/bin/env bash
# Installs whatever the build and the tests need and is missing; quick when all is there.
# Sourced by scripts/run.sh and scripts/test.sh. Needs: rustup, node/npm, python3 (and root or
# sudo for apt packages). Everything comes from a package registry: crates.io, npm, Debian.
#
#   SETUP_FOR=run  – what serving the app needs (default)
#   SETUP_FOR=test – also Chromium for Playwright and sipp-free test tools
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SETUP_FOR="${SETUP_FOR:-run}"
# Builds are cached outside the clone, so a fresh clone (CI) reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Same value cargo-leptos sets: keeps `cargo test` and `cargo leptos build` from rebuilding
# each other's Leptos crates.
export LEPTOS_OUTPUT_NAME=softphone

CARGO_LEPTOS_VERSION=0.3.10

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

command -v rustup >/dev/null || { echo "rustup is required: https://rustup.rs" >&2; exit 1; }
command -v npm >/dev/null || { echo "node and npm are required" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    step "Adding rustup component $component"
    rustup component add "$component"
  fi
done

# The registry's cargo-leptos with one fix of ours (scripts/cargo-leptos-fix.py): its source,
# from the crate cargo downloads, patched and installed from a temporary folder, linked with
# wasm-split 0.2.4 (which needs rayon 1.12; its lock says 0.2.3, whose data layout padded every lazy module and then kept
# all read-only data in the main module: docs/decisions.md).
CARGO_LEPTOS_BUILD="$CARGO_LEPTOS_VERSION+softphone.2"
WASM_SPLIT_VERSION=0.2.4
if ! cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $CARGO_LEPTOS_BUILD"; then
  step "Installing cargo-leptos $CARGO_LEPTOS_BUILD (one time, about 7 minutes)"
  leptos_src="$(mktemp -d)"
  # `cargo info` fetches the crate into cargo's cache (run outside the workspace).
  (cd "$leptos_src" && cargo info --quiet "cargo-leptos@$CARGO_LEPTOS_VERSION" >/dev/null)
  leptos_crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"cargo-leptos-$CARGO_LEPTOS_VERSION.crate" | head -1)"
  tar -xzf "$leptos_crate" -C "$leptos_src"
  python3 scripts/cargo-leptos-fix.py "$leptos_src/cargo-leptos-$CARGO_LEPTOS_VERSION" "$CARGO_LEPTOS_BUILD"
  (cd "$leptos_src/cargo-leptos-$CARGO_LEPTOS_VERSION" \
    && cargo update --quiet -p rayon --precise 1.12.0 \
    && cargo update --quiet -p wasm_split_cli_support --precise "$WASM_SPLIT_VERSION")
  # --debug: 7 minutes instead of 25 on two cores, and it builds release bundles just as well.
  # no_downloads: a missing tool is an error, never a download from outside the registries.
  # --force: replaces a different version (or a stale install record) in place. Its own target
  # folder: the install's build is not the app's, and goes with the sources.
  CARGO_TARGET_DIR="$leptos_src/target" cargo install --force --locked --features no_downloads --debug \
    --path "$leptos_src/cargo-leptos-$CARGO_LEPTOS_VERSION"
  rm -rf "$leptos_src"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (one time, about 5 minutes)"
  # Not --locked: the locked webpki-roots is missing from the registry mirror.
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# Checks the test command runs on the source: cargo-deny (licenses, bans, sources; offline) and
# leptosfmt (the layout of `view!` macros). Pinned; from crates.io.
if [ "$SETUP_FOR" = test ]; then
  if ! cargo deny --version 2>/dev/null | grep -qx "cargo-deny 0.20.2"; then
    step "Installing cargo-deny 0.20.2 (one time, about 6 minutes)"
    cargo install --force --locked cargo-deny --version 0.20.2
  fi
  if ! leptosfmt --version 2>/dev/null | grep -qx "leptosfmt 0.1.33"; then
    step "Installing leptosfmt 0.1.33 (one time, about 3 minutes)"
    cargo install --force --locked leptosfmt --version 0.1.33
  fi
fi

apt_missing=()
# wasm-opt is npm's binaryen (package.json), first on PATH: Debian's binaryen 108 breaks the
# release bundle (scripts/wasm-check.py says how).
if [ "$SETUP_FOR" = test ]; then
  command -v chromium >/dev/null || apt_missing+=(chromium)
  # sipp: the independent SIP far end of the interoperability test.
  command -v sipp >/dev/null || apt_missing+=(sip-tester)
  # baresip: the SDES-SRTP far end of the interoperability test (sipp 3.6 has no SRTP).
  command -v baresip >/dev/null || apt_missing+=(baresip-core)
  # coturn: the independent TURN server that must accept the credentials the server makes.
  command -v turnserver >/dev/null || apt_missing+=(coturn)
  # brotli: the release site's files are precompressed for the package (scripts/precompress.sh).
  command -v brotli >/dev/null || apt_missing+=(brotli)
  # openssl: the TLS test makes a test CA and a server certificate with it.
  command -v openssl >/dev/null || apt_missing+=(openssl)
  # curl: the REST fuzzing script signs a user up with it.
  command -v curl >/dev/null || apt_missing+=(curl)
  # python3-venv: moto (the AWS emulator) is installed in a venv.
  python3 -c 'import ensurepip' 2>/dev/null || apt_missing+=(python3-venv)
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  step "Installing Debian packages: ${apt_missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

# Python tools the tests use, each pinned from PyPI in its own venv outside the clone, installed
# when the venv does not hold that version: `pip_tool <venv> <distribution> <version> <pip spec>
# <what it is for>`.
pip_tool() {
  local venv="$HOME/.cache/softphone/$1"
  if ! "$venv/bin/python" -c "import sys, importlib.metadata as m; sys.exit(m.version('$2') != '$3')" 2>/dev/null; then
    step "Installing $2 $3 ($5; one time, about a minute)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$4"
  fi
}
export MOTO_VENV="$HOME/.cache/softphone/moto"
export SCHEMATHESIS="$HOME/.cache/softphone/schemathesis/bin/schemathesis"
export CFN_LINT="$HOME/.cache/softphone/cfn-lint/bin/cfn-lint"
if [ "$SETUP_FOR" = test ]; then
  pip_tool moto moto 5.2.5 "moto[server]==5.2.5" "the AWS emulator for S3, DynamoDB and Cognito"
  pip_tool schemathesis schemathesis 4.32.5 "schemathesis==4.32.5" "REST API fuzzing"
  pip_tool cfn-lint cfn-lint 1.58.0 "cfn-lint==1.58.0" "checks the CloudFormation template"
fi

# npm packages (Tailwind CLI, Playwright, axe-core, binaryen's wasm-opt) exactly as locked. Never
# a browser download.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -x node_modules/.bin/tailwindcss ] || [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  step "Installing npm packages"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lock-hash
fi

# The Chime SDK browser module (public/chime/, loaded only for calls through Chime): its own npm
# packages, exactly as locked, bundled with esbuild; quick when already built.
"$ROOT/scripts/chime-bundle.sh"

# Keep the shared build cache bounded (CI reuses it run after run): incremental-compilation data
# and old test binaries are the bulk of the growth, and are rebuilt on demand. Each checkout
# path builds its own copies of our crates (a fresh clone for CI, the working one for
# development), so the cache grows by a whole test build (about 25 GB) per path. Pruned when
# it is over SOFTPHONE_CACHE_MAX_MB, or when the disk has less than a test build free.
mkdir -p "$CARGO_TARGET_DIR"
cache_mb="$(du -sm "$CARGO_TARGET_DIR" 2>/dev/null | cut -f1)"
free_mb="$(df -Pm "$CARGO_TARGET_DIR" | awk 'NR == 2 { print $4 }')"
if [ -d "$CARGO_TARGET_DIR/debug/deps" ] \
  && { [ "$cache_mb" -gt "${SOFTPHONE_CACHE_MAX_MB:-30000}" ] || [ "$free_mb" -lt 30000 ]; }; then
  step "Build cache ${cache_mb} MB, ${free_mb} MB free: dropping incremental data and stale test binaries"
  rm -rf "$CARGO_TARGET_DIR/debug/incremental" "$CARGO_TARGET_DIR"/front/*/debug/incremental
  # Every build of a test leaves its binary (170-400 MB: no extension, unlike libraries) behind
  # under a new hash; the live ones are rebuilt on demand.
  find "$CARGO_TARGET_DIR/debug/deps" -maxdepth 1 -type f -mmin +60 ! -name '*.*' -delete
  find "$CARGO_TARGET_DIR/debug/deps" -maxdepth 1 -type f -mmin +60 \
    \( -name 'libserver-*' -o -name 'libapp-*' \) -delete
fi

# `eval "$(scripts/setup.sh --print-env)"` gives an interactive shell the same environment
# (for `cargo leptos watch` and friends) without leaving `set -e` behind in it.
if [ "${1:-}" = "--print-env" ]; then
  printf 'export PATH=%q\nexport CARGO_TARGET_DIR=%q\nexport LEPTOS_OUTPUT_NAME=%q\n' \
    "$PATH" "$CARGO_TARGET_DIR" "$LEPTOS_OUTPUT_NAME"
fi
