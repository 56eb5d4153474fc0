#!/usr/bin/env bash
# The package smoke test (run by scripts/test.sh): unpacks a tarball scripts/package.sh made into
# a temporary folder, starts the packaged server from it with the packaged unit's environment
# (paths moved into the folder) on a free 127.0.0.1 port, on the embedded default (SQLite, local
# identity, the built-in simulator), and checks that it answers /healthz and /readyz, that its
# page loads the app's WASM, JS and CSS by their hashed names (the site's hash.txt), that those
# are served byte for byte from the package's site, precompressed (brotli, gzip) to browsers that
# take it and cacheable for a year, that the page itself comes compressed and never cached, and
# that the service worker precaches the hashed files, and that the bundle starts in Chromium (a
# sign-up, the keypad, a call: scripts/bundle-starts.mjs); then stops it (SIGTERM, as systemd does)
# and removes the folder. The unit is
# checked by `systemd-analyze verify` where systemd is installed.
# Takes about 20 seconds; fails with the server's log if anything is wrong.
#
#   scripts/package-smoke.sh <softphone-...tar.gz>
set -euo pipefail
tarball="${1:?usage: scripts/package-smoke.sh <tarball>}"
[ -s "$tarball" ] || { echo "FAIL: no tarball at $tarball" >&2; exit 1; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL (package smoke test): $*" >&2
  if [ -s "$work/server.log" ]; then echo "--- the packaged server's log:" >&2; tail -40 "$work/server.log" >&2; fi
  exit 1
}

tar -xzf "$tarball" -C "$work"
top="$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'softphone-*' | head -1)"
[ -n "$top" ] || fail "the tarball has no softphone-* folder"
for f in bin/server site/hash.txt \
  systemd/softphone.service softphone.env.example INSTALL VERSION aws/install.sh aws/softphone-env \
  aws/softphone-env.service aws/softphone-aws.conf aws/cert-sync; do
  [ -e "$top/$f" ] || fail "the package has no $f"
done
for f in aws/install.sh aws/softphone-env aws/cert-sync; do
  [ -x "$top/$f" ] || fail "$f is not executable"
  bash -n "$top/$f" || fail "$f does not parse"
done
[ -x "$top/bin/server" ] || fail "bin/server is not executable"
# The bundle's entry files, by the names the site's hash.txt gives them.
bundle=()
for kind in wasm js css; do
  hash="$(sed -n "s/^$kind: *//p" "$top/site/hash.txt")"
  [ ${#hash} -eq 22 ] || fail "site/hash.txt names no $kind hash"
  [ -s "$top/site/pkg/softphone.$hash.$kind" ] || fail "the package has no site/pkg/softphone.$hash.$kind"
  bundle+=("softphone.$hash.$kind")
done

# The unit as systemd reads it (directives, sandboxing options), where systemd is installed.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$work/unit"
  sed "s#/opt/softphone#$top#g" "$top/systemd/softphone.service" > "$work/unit/softphone.service"
  (cd "$work/unit" && timeout 30 systemd-analyze verify --man=no ./softphone.service) ||
    fail "systemd-analyze verify refuses systemd/softphone.service"
fi

# The unit's Environment= lines, with /opt/softphone and /var/lib/softphone moved into $work:
# the unit's paths must agree with the package's layout.
state="$work/state"
mkdir -p "$state"
unit_env=()
while IFS= read -r line; do
  value="${line#Environment=}"
  value="${value//\/opt\/softphone/$top}"
  value="${value//\/var\/lib\/softphone/$state}"
  unit_env+=("$value")
done < <(grep '^Environment=' "$top/systemd/softphone.service")
[ ${#unit_env[@]} -gt 0 ] || fail "the unit sets no Environment="

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# A clean environment (nothing from the test run, such as AWS settings) and the state folder as
# the working directory (as in the unit; no .env from the clone): the embedded default.
(cd "$state" && exec env -i PATH=/usr/bin:/bin HOME="$state" "${unit_env[@]}" \
  LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=info "$top/bin/server") >"$work/server.log" 2>&1 &
server_pid=$!

get() { curl -sS --max-time 5 "$@"; }
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || fail "the packaged server exited at start"
  [ "$(get "$base/healthz" 2>/dev/null || true)" = ok ] && break
  sleep 0.2
done
[ "$(get "$base/healthz" 2>/dev/null || true)" = ok ] || fail "no answer on $base/healthz within 30 s"
ready="$(get "$base/readyz")" || fail "/readyz did not answer"
case "$ready" in *'"store":"ok"'*) ;; *) fail "/readyz: $ready" ;; esac

# The page names the app's bundle, and each file is the package's own, with its type, cacheable
# for a year under its hashed name.
page="$(get -L "$base/")" || fail "GET / failed"
for f in "${bundle[@]}"; do
  case "$page" in *"/pkg/$f"*) ;; *) fail "the page does not load /pkg/$f" ;; esac
  get -o "$work/$f" -D "$work/$f.headers" "$base/pkg/$f" || fail "GET /pkg/$f failed"
  cmp -s "$work/$f" "$top/site/pkg/$f" || fail "/pkg/$f is not the package's site/pkg/$f"
  grep -qi '^cache-control: public, max-age=31536000, immutable' "$work/$f.headers" || fail "/pkg/$f is not cacheable for a year"
done
grep -qi '^content-type: application/wasm' "$work/${bundle[0]}.headers" || fail "${bundle[0]} is not served as application/wasm"
grep -qi '^content-type: text/javascript' "$work/${bundle[1]}.headers" || fail "${bundle[1]} is not served as text/javascript"
grep -qi '^content-type: text/css' "$work/${bundle[2]}.headers" || fail "${bundle[2]} is not served as text/css"
# Compressed where the browser takes it (the package's precompressed copies), the same bytes once
# decoded; plain for a client that asks for nothing.
decode() {
  case "$1" in
  br) brotli -d -c "$2" ;;
  gzip) gzip -d -c "$2" ;;
  esac
}
for f in "${bundle[@]}"; do
  for encoding in br gzip; do
    get -H "Accept-Encoding: $encoding" -o "$work/$f.$encoding" -D "$work/$f.$encoding.headers" "$base/pkg/$f" ||
      fail "GET /pkg/$f ($encoding) failed"
    grep -qi "^content-encoding: $encoding" "$work/$f.$encoding.headers" || fail "/pkg/$f is not sent $encoding-encoded"
    grep -qi "^vary: accept-encoding" "$work/$f.$encoding.headers" || fail "/pkg/$f has no Vary: accept-encoding"
    decode "$encoding" "$work/$f.$encoding" > "$work/$f.decoded"
    cmp -s "$work/$f.decoded" "$top/site/pkg/$f" || fail "/pkg/$f ($encoding) does not decode to the package's file"
  done
done
grep -qi '^content-encoding' "$work/${bundle[0]}.headers" && fail "/pkg/${bundle[0]} is encoded for a client that asked for nothing"
# The page (server-rendered HTML) compressed per response, never kept by a cache.
for encoding in br gzip; do
  get -H "Accept-Encoding: $encoding" -o "$work/page.$encoding" -D "$work/page.$encoding.headers" "$base/signin" ||
    fail "GET /signin ($encoding) failed"
  grep -qi "^content-encoding: $encoding" "$work/page.$encoding.headers" || fail "the page is not sent $encoding-encoded"
  grep -qi '^cache-control: private, no-store' "$work/page.$encoding.headers" || fail "the page may be cached"
  # Into a file first: `grep -q` stops reading at its match, and under pipefail the decoder's
  # SIGPIPE would fail the check by chance.
  decode "$encoding" "$work/page.$encoding" > "$work/page.$encoding.html"
  grep -q "/pkg/${bundle[0]}" "$work/page.$encoding.html" || fail "the $encoding page does not decode to a page naming the bundle"
done
# The service worker precaches the hashed entry files and is revalidated on every visit.
sw="$(get -D "$work/sw.headers" "$base/sw.js")" || fail "GET /sw.js failed"
for f in "${bundle[@]}"; do
  case "$sw" in *"\"/pkg/$f\""*) ;; *) fail "the service worker does not precache /pkg/$f" ;; esac
done
grep -qi '^cache-control: no-cache' "$work/sw.headers" || fail "/sw.js is not revalidated"
# The bundle as served starts in Chromium: sign-up, the keypad, a call (scripts/bundle-starts.mjs;
# the end-to-end tests run the debug site, this the release site's rewritten files).
(cd "$(dirname "${BASH_SOURCE[0]}")/.." && timeout 120 node scripts/bundle-starts.mjs "$base") ||
  fail "the release bundle does not start or work in Chromium"

kill -TERM "$server_pid"
for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$server_pid" 2>/dev/null && fail "the packaged server did not stop within 10 s of SIGTERM"
wait "$server_pid" 2>/dev/null || true
server_pid=""
echo "package smoke test passed: $(basename "$tarball") served /healthz, /readyz, the page (compressed) and its hashed WASM, JS and CSS from the package (precompressed, immutable), the service worker, a browser's sign-up, keypad and call, and stopped on SIGTERM"

# The settings the CloudFormation template gives the gateway instance (scripts/gateway-settings.py
# reads GatewaySettings), for each GatewayTrunk: the packaged server must accept every one and get
# as far as its first AWS call (DynamoDB, here a closed port). Needs PyYAML: the cfn-lint venv's.
python_yaml="${CFN_LINT:+$(dirname "$CFN_LINT")/python}"
if [ -z "$python_yaml" ] || ! "$python_yaml" -c 'import yaml' 2>/dev/null; then
  python_yaml=python3
  "$python_yaml" -c 'import yaml' 2>/dev/null || { echo "(no PyYAML: the template's gateway settings not checked)"; exit 0; }
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
closed="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
for mode in "voice-connector turn" simulator; do
  # shellcheck disable=SC2086 # the mode's words are the script's arguments
  mapfile -t settings < <("$python_yaml" "$root/scripts/gateway-settings.py" "$root/infra/softphone.yaml" $mode | grep .)
  [ ${#settings[@]} -gt 10 ] || fail "no gateway settings read from infra/softphone.yaml ($mode)"
  # What softphone-env adds on the instance: the private address and the secrets (stand-ins);
  # the TURN secret only with TURN, as softphone-env writes it.
  secrets=(SOFTPHONE_TRUNK_USERNAME=softphone SOFTPHONE_TRUNK_PASSWORD=0123456789abcdefghij0123456789abcdefghij)
  case "$mode" in
  *turn*) secrets+=(SOFTPHONE_TURN_SECRET=0123456789abcdefghij0123456789abcdefghij0123456789abcdefghij0123) ;;
  esac
  out="$(cd "$state" && timeout 30 env -i PATH=/usr/bin:/bin HOME="$state" "${unit_env[@]}" "${settings[@]}" \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" SOFTPHONE_MEDIA_IP=127.0.0.1 "${secrets[@]}" \
    AWS_ENDPOINT_URL="http://127.0.0.1:$closed" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    AWS_EC2_METADATA_DISABLED=true "$top/bin/server" 2>&1)" || true
  case "$out" in
  *DescribeTable*) ;;
  *) echo "$out" | tail -5 >&2; fail "the packaged server refuses the template's gateway settings (GatewayTrunk=${mode%% *})" ;;
  esac
done
echo "package smoke test passed: the packaged server takes the template's gateway settings (GatewayTrunk=voice-connector with TURN, simulator)"
