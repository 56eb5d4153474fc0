#!/usr/bin/env bash
# Builds the AWS Lambda package: the server binary as `bootstrap` (runtime provided.al2023,
# x86_64) and the site folder (WASM bundle, CSS, icons) next to it, zipped as
# softphone-lambda.zip in the clone. Upload it to the bucket the CloudFormation template's
# LambdaCodeBucket names. `--debug` packages the debug build instead (quick checks only).
#
# The binary is built on this Debian 12 machine against glibc; the script checks it needs no
# glibc newer than Amazon Linux 2023's (2.34).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile=release
if [ "${1:-}" = "--debug" ]; then profile=debug; fi
if [ "$profile" = release ]; then
  step "Building the release (server + WASM, lazy routes split)"
  cargo leptos build --release --split --features split
else
  step "Building the debug build (server + WASM, lazy routes split)"
  cargo leptos build --split --features split
fi
binary="$CARGO_TARGET_DIR/$profile/server"
newest="$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
if [ "$(printf '%s\nGLIBC_2.34\n' "$newest" | sort -V | tail -1)" != "GLIBC_2.34" ]; then
  echo "the binary needs $newest; Amazon Linux 2023 has GLIBC_2.34" >&2
  exit 1
fi
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/bootstrap"
cp -r target/site "$stage/site"
rm -f softphone-lambda.zip
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
mv "$stage/package.zip" softphone-lambda.zip
step "softphone-lambda.zip: $(du -h softphone-lambda.zip | cut -f1) ($profile build, needs at most $newest)"
