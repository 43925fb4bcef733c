#!/usr/bin/env bash
# Runs Baryon (the README's run command): builds the console (web/dist, release, with Trunk)
# and `baryon` in release mode, then starts `baryon serve` on 127.0.0.1:8080 with the embedded
# SQLite database in ./baryon-data; the console is at http://127.0.0.1:8080/.
# Arguments are passed to `baryon serve` (see `baryon serve --help`), e.g. --listen, --database.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
bash scripts/build-console.sh
cargo build --quiet --release --package baryon
exec "${CARGO_TARGET_DIR:-target}/release/baryon" serve "$@"
