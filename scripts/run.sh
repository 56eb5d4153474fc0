#!/usr/bin/env bash
# Builds and serves the app on the embedded default (SQLite, local identity) at
# http://127.0.0.1:3000. Installs what is missing first. Stop it with Ctrl-C.
set -euo pipefail
SETUP_FOR=run source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

echo
echo "==> Building and starting the softphone (first build: about 10 minutes on 2 cores)"
echo "    When it is up: http://127.0.0.1:3000  (data in $ROOT/data)"
export SOFTPHONE_LOG_FORMAT="${SOFTPHONE_LOG_FORMAT:-text}"
exec cargo leptos serve --split --features split
