#!/usr/bin/env bash
# Fuzzes the REST API with schemathesis: every operation in /api/v1/openapi.json, with
# generated valid and invalid input and a valid token, on a server of its own (fresh data
# directory, no rate limit in the way). Fails on any 5xx. Needs the built server binary and
# $SCHEMATHESIS (scripts/setup.sh installs it); the test command runs it.
set -euo pipefail
server="$CARGO_TARGET_DIR/debug/server"
data="$(mktemp -d "${TMPDIR:-/tmp}/softphone-fuzz-XXXXXX")"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
(cd "$data" && exec env LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_OUTPUT_NAME=softphone \
  SOFTPHONE_DATA_DIR="$data" SOFTPHONE_LOG_FORMAT=text SOFTPHONE_MEDIA_PORTS=42000-42099 \
  SOFTPHONE_API_BURST=100000 SOFTPHONE_API_RATE=100000 "$server") > "$data/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "$base/healthz" >/dev/null || { echo "the server did not start"; cat "$data/server.log"; exit 1; }

# A user, and their access token (the sign-up's session cookie).
# (Server functions take JSON from our own origin only, as a browser page of ours sends it.)
token="$(curl -fs -c - -H 'Content-Type: application/json' -H "Origin: $base" \
  -d '{"email":"fuzz@example.com","password":"Corr3ct-horse!","confirm":"Corr3ct-horse!"}' \
  "$base/api/auth/sign_up" | awk '$6 == "sp_access" { print $7 }')"
[ -n "$token" ] || { echo "could not sign up"; cat "$data/server.log"; exit 1; }
# Something for the by-id operations to find besides the ids schemathesis makes up.
curl -fs -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"Ana Pérez","numbers":[{"number":"+507 6123-4567"}]}' "$base/api/v1/contacts"

# One worker: with two threads, hypothesis's lambda descriptions parse source concurrently and
# the venv's CPython 3.11.7 can fail with "SystemError: AST constructor recursion depth
# mismatch" (a thread race in `ast`, CPython gh-106905), a crash of the tool, not of our API.
"$SCHEMATHESIS" run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error \
  --max-examples "${FUZZ_EXAMPLES:-60}" \
  --workers 1 \
  --request-timeout 10 || { echo "server log:"; tail -50 "$data/server.log"; exit 1; }
