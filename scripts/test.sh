#!/usr/bin/env bash
# Runs every test of the project (the README's test command; .ci/run calls exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n=== %s\n' "$*" >&2; }

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy --package baryon-model --features wasm,render --target wasm32-unknown-unknown --quiet -- -D warnings

step "native tests (model, codegen freshness, CLI)"
cargo test --workspace

step "wasm tests in headless Chromium (wasm-bindgen-test)"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT=120
cargo test --package baryon-model --features wasm,render --target wasm32-unknown-unknown --test wasm

step "conformance: boto3 and awscli against a real baryon serve"
cargo build --package baryon --quiet
BARYON_BIN="$PWD/target/debug/baryon" tests/.venv/bin/python -m pytest tests/conformance -q -p no:cacheprovider

step "golden rendering: baryon render against Python's Jinja2 (aws-samples and own fixtures)"
BARYON_BIN="$PWD/target/debug/baryon" tests/.venv/bin/python -m pytest tests/render -q -p no:cacheprovider -rs

step "npm package, Node and Chromium parity with native"
cargo xtask npm
BARYON_BIN="$PWD/target/debug/baryon" node --test tests/npm/
