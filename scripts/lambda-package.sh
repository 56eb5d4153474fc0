#!/usr/bin/env bash
# Builds the AWS Lambda packages (runtime provided.al2023, x86_64), in the clone:
# - softphone-lambda.zip: the server binary as `bootstrap` and the site folder (WASM bundle,
#   CSS, icons) next to it;
# - softphone-sma.zip: the SIP media application's handler (the `sma` binary) as `bootstrap`,
#   for the template's Telephony=chime (docs/chime.md, Deploying).
# Upload them to the bucket the CloudFormation template's LambdaCodeBucket names. `--debug`
# packages the debug builds instead (quick checks only).
#
# The binaries are built on this Debian 12 machine against glibc; the script checks they need
# no glibc newer than Amazon Linux 2023's (2.34).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile=release
if [ "${1:-}" = "--debug" ]; then profile=debug; fi
if [ "$profile" = release ]; then
  # Its own site folder, files named by their content's hash (the server sends them cacheable
  # for a year), checked and precompressed: scripts/release-site.sh.
  site="$CARGO_TARGET_DIR/lambda-site"
  step "Building the release (server + WASM, lazy routes split; the SMA handler)"
  scripts/release-site.sh "$site"
  cargo build --locked --release -p sma
else
  site=target/site
  step "Building the debug build (server + WASM, lazy routes split; the SMA handler)"
  cargo leptos build --split --features split
  cargo build --locked -p sma
fi

# The newest glibc symbol version `$1` needs; stops if Amazon Linux 2023 lacks it.
glibc_needed() {
  local newest
  newest="$(objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
  if [ "$(printf '%s\nGLIBC_2.34\n' "$newest" | sort -V | tail -1)" != "GLIBC_2.34" ]; then
    echo "$1 needs $newest; Amazon Linux 2023 has GLIBC_2.34" >&2
    exit 1
  fi
  echo "$newest"
}

# package <zip> <binary> [site folder]: the binary as an executable `bootstrap`, and the folder.
package() {
  local zip="$1" binary="$2" site="${3:-}" stage newest
  newest="$(glibc_needed "$binary")"
  stage="$(mktemp -d)"
  cp "$binary" "$stage/bootstrap"
  if [ -n "$site" ]; then cp -r "$site" "$stage/site"; fi
  rm -f "$zip"
  (cd "$stage" && python3 - <<'PY'
import os, zipfile
with zipfile.ZipFile("package.zip", "w", zipfile.ZIP_DEFLATED) as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o755 << 16  # executable, as Lambda requires
    info.compress_type = zipfile.ZIP_DEFLATED
    with open("bootstrap", "rb") as f:
        z.writestr(info, f.read())
    for root, _, files in os.walk("site"):
        for name in files:
            z.write(os.path.join(root, name))
PY
  )
  mv "$stage/package.zip" "$zip"
  rm -rf "$stage"
  step "$zip: $(du -h "$zip" | cut -f1) ($profile build, needs at most $newest)"
}

package softphone-lambda.zip "$CARGO_TARGET_DIR/$profile/server" "$site"
package softphone-sma.zip "$CARGO_TARGET_DIR/$profile/sma"
