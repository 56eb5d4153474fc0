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

step "cargo clippy (server and native app, -D warnings) $(elapsed)"
cargo clippy --locked -p app -p server -p telephony --all-targets -- -D warnings
step "cargo clippy (browser bundle, wasm32, with and without lazy routes) $(elapsed)"
cargo clippy --locked -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings
cargo clippy --locked -p frontend -p app --features app/hydrate,split --target wasm32-unknown-unknown -- -D warnings

step "Native tests $(elapsed)"
cargo test --locked -p app -p server -p telephony

step "Building the app with cargo-leptos (server + WASM, lazy routes split) $(elapsed)"
cargo leptos build --split --features split

step "Release WASM size report $(elapsed)"
scripts/wasm-size.sh

step "Playwright end-to-end tests in Chromium $(elapsed)"
(cd end2end && npx playwright test)

step "All tests passed $(elapsed)"
