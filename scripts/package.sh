#!/usr/bin/env bash
# Builds the release tarball the gateway shape installs (infra/softphone.yaml, DeployGateway=true;
# docs/deploy-gateway.md): softphone-<version>-linux-x86_64.tar.gz with
#   bin/server, site/ (WASM, JS, CSS, icons), systemd/softphone.service, softphone.env.example,
#   INSTALL, VERSION, aws/ (what the template's EC2 instance runs to install it)
# under one top folder softphone-<version>-linux-x86_64/. Prints the tarball's path last.
#
#   scripts/package.sh [--out DIR] [--debug] [--site DIR]
#
# --out: where the tarball goes (default: the clone's folder; or SOFTPHONE_PACKAGE_DIR).
# --debug: package the debug server as `cargo leptos build --split --features split` left it (the
#   test command builds it) with a release site, as ...-debug.tar.gz; for checking the package
#   quickly, never for deploying.
# --site: take this already built release site (the size report's, in the test command) instead
#   of building one.
# The build is `cargo leptos build --release --split --features split`, as scripts/lambda-package.sh
# and the size report build it, into a site folder of its own (the debug site the end-to-end tests
# serve stays as it is). Quick when up to date: nothing is built when no source, nor the server
# binary, is newer than the tarball (cargo-leptos always reruns wasm-bindgen and wasm-opt, about
# a minute).
# Needs the tools scripts/setup.sh installs (run it, or scripts/run.sh, once).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/softphone/target}"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export LEPTOS_OUTPUT_NAME=softphone

out="${SOFTPHONE_PACKAGE_DIR:-$ROOT}"
profile=release
site=""
while [ $# -gt 0 ]; do
  case "$1" in
  --out) out="${2:?--out needs a folder}"; shift 2 ;;
  --debug) profile=debug; shift ;;
  --site) site="$(cd "${2:?--site needs a folder}" && pwd)"; shift 2 ;;
  *) echo "usage: scripts/package.sh [--out DIR] [--debug] [--site DIR]" >&2; exit 2 ;;
  esac
done

version="$(awk -F'"' '/^\[workspace.package\]/ { p = 1 } p && /^version/ { print $2; exit }' Cargo.toml)"
name="softphone-$version-linux-x86_64"
mkdir -p "$out"
tarball="$(cd "$out" && pwd)/$name.tar.gz"
if [ "$profile" = debug ]; then tarball="${tarball%.tar.gz}-debug.tar.gz"; fi
binary="$CARGO_TARGET_DIR/$profile/server"

# Everything the package is made from: the workspace's sources, the lock file, the packaging files,
# and whatever was built outside this script (the debug server, a given site).
inputs=(app chime-standin frontend server sma telephony testkit style public Cargo.toml Cargo.lock package-lock.json infra/package)
if [ "$profile" = debug ]; then inputs+=("$binary"); fi
if [ -n "$site" ]; then inputs+=("$site"); fi
if [ -s "$tarball" ] && [ -z "$(find "${inputs[@]}" -newer "$tarball" -print -quit 2>/dev/null)" ]; then
  printf '==> %s\n' "Up to date"
  echo "$tarball"
  exit 0
fi

command -v cargo-leptos >/dev/null || { echo "cargo-leptos is missing: run scripts/setup.sh first" >&2; exit 1; }
log="$CARGO_TARGET_DIR/package-build.log"
# The site's files named by their content's hash (hash.txt in the site names the entry files), so
# the server lets browsers keep them for a year (server/src/web/bundle.rs); checked and
# precompressed (scripts/release-site.sh).
build() {
  "$ROOT/scripts/release-site.sh" "$CARGO_TARGET_DIR/package-site" "$@" >"$log" 2>&1 ||
    { cat "$log" >&2; exit 1; }
}
if [ "$profile" = release ] && [ -z "$site" ]; then
  printf '\n==> %s\n' "Building the release server and site (log: $log)"
  build
elif [ "$profile" = release ]; then
  printf '\n==> %s\n' "Building the release server (log: $log)"
  build --server-only
elif [ -z "$site" ]; then
  # The debug server is not rebuilt here; only the release site is built.
  printf '\n==> %s\n' "Building the release site (log: $log)"
  build --frontend-only
fi
given_site="$site"
if [ -z "$site" ]; then site="$CARGO_TARGET_DIR/package-site"; fi
[ -x "$binary" ] || { echo "no server binary at $binary" >&2; exit 1; }
# The template's instance runs Debian 12: the binary may need no glibc newer than its 2.36.
newest="$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
if [ "$(printf '%s\nGLIBC_2.36\n' "$newest" | sort -V | tail -1)" != "GLIBC_2.36" ]; then
  echo "$binary needs $newest; Debian 12 has GLIBC_2.36" >&2
  exit 1
fi
[ -s "$site/hash.txt" ] || { echo "the site $site has no hash.txt: not a release site with hashed names (scripts/wasm-size.sh builds one)" >&2; exit 1; }
for kind in js wasm css; do
  hash="$(sed -n "s/^$kind: *//p" "$site/hash.txt")"
  [ -s "$site/pkg/softphone.$hash.$kind" ] || { echo "the site $site has no pkg/softphone.$hash.$kind (named by its hash.txt)" >&2; exit 1; }
done
# A site built elsewhere gets the checks and copies scripts/release-site.sh gives the one built
# here: a bundle that would not start is not shipped.
if [ -n "$given_site" ]; then
  python3 "$ROOT/scripts/wasm-short-imports.py" "$site"
  python3 "$ROOT/scripts/wasm-check.py" "$site/pkg"
  "$ROOT/scripts/precompress.sh" "$site/pkg"
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
top="$stage/$name"
mkdir -p "$top/bin" "$top/systemd"
install -m 0755 "$binary" "$top/bin/server"
if [ "$profile" = release ]; then strip "$top/bin/server"; fi
cp -r "$site" "$top/site"
install -m 0644 infra/package/softphone.service "$top/systemd/softphone.service"
install -m 0644 infra/package/softphone.env.example "$top/softphone.env.example"
install -m 0644 infra/package/INSTALL "$top/INSTALL"
# What the CloudFormation template's instance runs (infra/package/aws/install.sh).
cp -r infra/package/aws "$top/aws"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi
printf 'softphone %s (%s server)\ncommit %s\n' "$version" "$profile" "$commit" > "$top/VERSION"
# Owner root and a fixed order: the same inputs give the same listing on every machine.
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$stage" -czf "$tarball.tmp" "$name"
mv "$tarball.tmp" "$tarball"
printf '==> %s\n' "$(du -h "$tarball" | cut -f1) $name ($profile server, release site)"
echo "$tarball"
