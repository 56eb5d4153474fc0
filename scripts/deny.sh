#!/usr/bin/env bash
# Checks the dependency tree with cargo-deny against deny.toml: licenses (only the allowed
# ones), bans (a second version of a crate warns) and sources (crates.io only). Runs offline:
# it needs only Cargo.lock and the downloaded crates. The fourth check, advisories, needs the
# RustSec database from GitHub, so it is not run here; where GitHub is reachable:
#   cargo deny check advisories
# Needs cargo-deny: cargo install --locked cargo-deny
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-deny >/dev/null ||
  { echo "cargo-deny is not installed: cargo install --locked cargo-deny" >&2; exit 2; }
exec cargo deny --offline --locked check --hide-inclusion-graph licenses bans sources
