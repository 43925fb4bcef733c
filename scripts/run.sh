#!/usr/bin/env bash
# Runs Baryon (the README's run command): builds `baryon` in release mode and starts
# `baryon serve` on 127.0.0.1:8080 with the embedded SQLite database in ./baryon-data.
# Arguments are passed to `baryon serve` (see `baryon serve --help`), e.g. --listen, --database.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
cargo build --quiet --release --package baryon
exec target/release/baryon serve "$@"
