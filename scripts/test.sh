#!/usr/bin/env bash
# Runs every test of the project (the README's test command; .ci/run calls exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n=== %s\n' "$*" >&2; }
# Where cargo writes binaries (CARGO_TARGET_DIR is honoured, e.g. for a separate worktree).
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")

step "format and lints"
cargo fmt --all --check
# The console's UI modules are declared through a macro (`ui_modules!` in web/src/lib.rs),
# which `cargo fmt` does not follow: check them file by file.
rustfmt --edition 2024 --check web/src/*.rs
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy --package baryon-model --features wasm,render,js-regex --target wasm32-unknown-unknown --quiet -- -D warnings
cargo clippy --package baryon-console --target wasm32-unknown-unknown --quiet -- -D warnings
cargo clippy --package baryon-preview --target wasm32-unknown-unknown --all-targets --quiet -- -D warnings

step "native tests (model, codegen freshness, CLI)"
cargo test --workspace

step "wasm tests in headless Chromium (wasm-bindgen-test)"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT=120
cargo test --package baryon-model --features wasm,render --target wasm32-unknown-unknown --test wasm
# The console's form logic (schema → fields, spec, messages); the UI itself is not needed.
cargo test --package baryon-console --no-default-features --target wasm32-unknown-unknown --test form --test route
# The rendered-IaC preview worker's answers: rendering (patterns on the browser's RegExp) and diffs.
cargo test --package baryon-preview --target wasm32-unknown-unknown --test preview

step "conformance: boto3 and awscli against a real baryon serve"
cargo build --package baryon --quiet
BARYON_BIN="$target_dir/debug/baryon" tests/.venv/bin/python -m pytest tests/conformance -q -p no:cacheprovider

step "console: release build (Trunk) and end-to-end test in Chromium against baryon serve"
bash scripts/build-console.sh
BARYON_BIN="$target_dir/debug/baryon" CONSOLE_DIR="$PWD/web/dist" node --test --test-concurrency=1 tests/e2e/

step "golden rendering: baryon render against Python's Jinja2 (aws-samples and own fixtures)"
BARYON_BIN="$target_dir/debug/baryon" tests/.venv/bin/python -m pytest tests/render -q -p no:cacheprovider -rs

step "npm package, Node and Chromium parity with native"
cargo xtask npm
BARYON_BIN="$target_dir/debug/baryon" node --test tests/npm/
