#!/usr/bin/env bash
# Runs every test: formatting, clippy, native unit and integration tests, the WASM build and
# its size report, and the Playwright tests in Debian's Chromium against the real server.
# Installs what is missing first. Services the tests need are started and stopped here.
set -euo pipefail
SETUP_FOR=test source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
started=$SECONDS
elapsed() { printf '(%dm%02ds)' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)); }

step "cargo fmt --check $(elapsed)"
cargo fmt --all --check
step "leptosfmt --check (the layout inside view! macros) $(elapsed)"
leptosfmt --check app/src
step "cargo deny (licenses, duplicate versions, sources; offline) $(elapsed)"
scripts/deny.sh

step "cargo clippy (server and native app, -D warnings) $(elapsed)"
cargo clippy --locked -p app -p server -p telephony -p testkit -p sma -p chime-standin --all-targets -- -D warnings
step "cargo clippy (browser bundle, wasm32, with and without lazy routes) $(elapsed)"
cargo clippy --locked -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings
cargo clippy --locked -p frontend -p app --features app/hydrate,split --target wasm32-unknown-unknown -- -D warnings

step "cfn-lint (infrastructure template) $(elapsed)"
"$CFN_LINT" infra/*.yaml

step "Starting moto (S3, DynamoDB and Cognito emulator for the AWS tests) $(elapsed)"
MOTO_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" > "$CARGO_TARGET_DIR/moto.log" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$MOTO_PORT") 2>/dev/null && break; sleep 0.1; done
(exec 3<>"/dev/tcp/127.0.0.1/$MOTO_PORT") 2>/dev/null || { echo "moto did not start"; cat "$CARGO_TARGET_DIR/moto.log"; exit 1; }
export SOFTPHONE_TEST_MOTO="http://127.0.0.1:$MOTO_PORT"
# The end-to-end tests' AWS server: the bucket it records into, and the user pool and app
# client it signs users in with, made as infra/softphone.yaml makes them. (Its DynamoDB table
# is made by the server's own `dynamodb create-table` once the binary is built.)
read -r SOFTPHONE_E2E_POOL_ID SOFTPHONE_E2E_CLIENT_ID < <(
  "$MOTO_VENV/bin/python" scripts/moto-setup.py "$SOFTPHONE_TEST_MOTO" softphone-e2e softphone-e2e)
export SOFTPHONE_E2E_POOL_ID SOFTPHONE_E2E_CLIENT_ID SOFTPHONE_E2E_TABLE=softphone-e2e

step "Native tests $(elapsed)"
# With moto up: the AWS suites and the multi-server test (server/tests/several_servers.rs: three
# servers on one moto table, then on one SQLite file, behind a round-robin front, one killed
# mid-call; about 40 s).
cargo test --locked -p app -p server -p telephony -p sma -p chime-standin -p testkit

# Coverage-guided fuzzing of what users, browsers and the trunk send (docs/testing.md, "Fuzzing").
step "Fuzz smoke runs (scripts/fuzz.sh: each target in fuzz/ for ${FUZZ_SECONDS:-20} s) $(elapsed)"
scripts/fuzz.sh

step "Building the app with cargo-leptos (server + WASM, lazy routes split) $(elapsed)"
cargo leptos build --split --features split

step "Release WASM size report $(elapsed)"
# The loader's rewrite on a small loader first (run in Node), then on the real one in the build.
python3 scripts/wasm-split-loader.py --self-test
scripts/wasm-size.sh

# The release package (docs/deploy-gateway.md) from the server built above and the size report's
# release site, then started once from a temporary folder. SOFTPHONE_TEST_RELEASE_SERVER=1
# packages the release server instead (its own release build of the server: many minutes more).
step "Release package and its smoke test (scripts/package.sh, scripts/package-smoke.sh) $(elapsed)"
if [ "${SOFTPHONE_TEST_RELEASE_SERVER:-}" = 1 ]; then package_profile=(); else package_profile=(--debug); fi
package="$(scripts/package.sh --out "$CARGO_TARGET_DIR/package" "${package_profile[@]}" \
  --site "$CARGO_TARGET_DIR/wasm-size-site" | tee -a /dev/stderr | tail -1)"
scripts/package-smoke.sh "$package"

step "DynamoDB table for the end-to-end AWS server (server dynamodb create-table) $(elapsed)"
AWS_ENDPOINT_URL="$SOFTPHONE_TEST_MOTO" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  SOFTPHONE_STORE=dynamodb SOFTPHONE_DYNAMODB_TABLE="$SOFTPHONE_E2E_TABLE" \
  "$CARGO_TARGET_DIR/debug/server" dynamodb create-table

step "REST API fuzzing from the OpenAPI document (schemathesis) $(elapsed)"
scripts/api-fuzz.sh

step "Playwright end-to-end tests in Chromium $(elapsed)"
# The simulator behind a lossy network that one of them calls through (end2end/playwright.config.ts).
cargo build --locked -p testkit --bin impaired-pstn
e2e_data="$(mktemp -d /tmp/softphone-e2e.XXXXXX)"
(cd end2end && E2E_DATA_DIR="$e2e_data" npx playwright test)

# Every log the end-to-end run wrote (four servers, the impaired PSTN): no phone number, unmasked
# e-mail, token, SIP message or SRTP key in any line, ours or a dependency's.
step "The end-to-end run's logs scanned for personal data and secrets (scripts/scan-logs.py) $(elapsed)"
scripts/scan-logs.py --self-test
scripts/scan-logs.py "$e2e_data"

step "All tests passed $(elapsed)"
