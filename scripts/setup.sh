#!/usr/bin/env bash
# Installs what Baryon's build and tests need, idempotently: a second run only checks.
#   - Rust: wasm32-unknown-unknown target, rustfmt, clippy, rust-src (the console's build
#     compiles the standard library), wasm-bindgen-cli 0.2.130,
#     trunk 0.21.14 (builds the console)
#   - Debian: chromium + chromium-driver (headless browser tests), postgresql (storage tests),
#     git (linked repositories and template sync)
#   - npm: the test harness packages in tests/package.json (playwright-core; binaryen 132,
#     the only wasm-opt the console build uses)
#   - Python: boto3, awscli and pytest from tests/requirements.txt into tests/.venv
# Versions and the reasons behind them: ../shared/TOOLCHAIN.md and ARCHITECTURE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130
TRUNK_VERSION=0.21.14
log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

installed_targets=$(rustup target list --installed)
if ! grep -qx wasm32-unknown-unknown <<<"$installed_targets"; then
  log "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "adding rustup component $component"
    rustup component add "$component"
  fi
done

# rust-src: optional; without it the console is built on the prebuilt standard library.
if ! rustup component list --installed | grep -q '^rust-src'; then
  log "adding rustup component rust-src"
  rustup component add rust-src || log "rust-src could not be added; the console build will use the prebuilt standard library"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # No --locked: some locked dependency versions are missing from the registry mirror here.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
  log "installing trunk $TRUNK_VERSION (several minutes, once)"
  # trunk 0.22 needs a newer rustc; fall back to an unlocked install when the locked
  # dependency set has gaps in the registry mirror.
  cargo install trunk --locked --version "$TRUNK_VERSION" --force \
    || cargo install trunk --version "$TRUNK_VERSION" --force
fi

apt_packages=()
command -v git >/dev/null || apt_packages+=(git)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
[ -x /usr/bin/chromedriver ] || apt_packages+=(chromium-driver)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || apt_packages+=(postgresql)
command -v sqlite3 >/dev/null || apt_packages+=(sqlite3)  # cargo xtask bench seeds 100k rows with it
if [ ${#apt_packages[@]} -gt 0 ]; then
  log "installing ${apt_packages[*]} from Debian"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if [ ! -f tests/node_modules/.package-lock.json ] \
   || [ ! -x tests/node_modules/.bin/wasm-opt ] \
   || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
  log "installing npm test packages"
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -x tests/.venv/bin/python ] || ! cmp -s tests/requirements.txt tests/.venv/.requirements.txt; then
  log "installing Python test packages (boto3, awscli, pytest) into tests/.venv"
  python3 -m venv tests/.venv
  tests/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
  cp tests/requirements.txt tests/.venv/.requirements.txt
fi
log "tools ready"
