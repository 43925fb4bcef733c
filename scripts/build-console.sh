#!/usr/bin/env bash
# Builds the console in release (profile release-wasm, wasm-opt -Oz) into web/dist with Trunk,
# offline, with the pinned tools: trunk 0.21.14, wasm-bindgen-cli 0.2.130 and npm binaryen 132
# (tests/node_modules/.bin first on PATH, so Debian's wasm-opt is never used). Quick when
# nothing changed (cargo is incremental; Trunk rewrites dist). Installs the tools first when
# missing. Prints the console's size (wasm + js + css, gzip -9).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v trunk >/dev/null || [ ! -x tests/node_modules/.bin/wasm-opt ] \
   || ! command -v wasm-bindgen >/dev/null; then
  bash scripts/setup.sh
fi
export PATH="$PWD/tests/node_modules/.bin:$PATH"
# The standard library is compiled with the console (cargo's `build-std`; its source is the
# toolchain's `rust-src`, its dependencies come from crates.io with the rest), so that a panic
# is a bare trap (`-Cpanic=immediate-abort`) and no panic location strings are linked
# (`-Zlocation-detail=none`): −25 KB gzip. Nothing is lost: with no panic hook a panic in the
# browser already ended in a trap without its message. These are unstable flags, taken by the
# stable 1.95.0 toolchain through RUSTC_BOOTSTRAP (the only toolchain these machines have; see
# ARCHITECTURE.md, `web`, "Size"). `BARYON_CONSOLE_STABLE_STD=1` builds without them.
cargo fetch --quiet
std_flags=""
if [ "${BARYON_CONSOLE_STABLE_STD:-}" != 1 ]; then
  if rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src; then
    export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
    std_flags="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
    cargo fetch --quiet --target wasm32-unknown-unknown # the standard library's dependencies
  else
    echo "[console] rust-src is not installed and cannot be: the prebuilt standard library is used (+25 KB)" >&2
  fi
fi
# Leptos' `erase_components`: component views are type-erased (smaller wasm; see ARCHITECTURE).
# LLVM's inliner off (`-inline-threshold=0`): a function called from several places is not
# copied into each (−4 KB gzip; wasm-opt still inlines what is called once).
# With `--target` (Trunk passes one), RUSTFLAGS reach only the wasm crates, not build scripts.
export RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components -C llvm-args=-inline-threshold=0 $std_flags"
trunk build --release --offline
# The console is everything but the preview worker, which is loaded only when a preview is
# opened; each is reported on its own.
total=0
preview=0
for f in web/dist/*.wasm web/dist/*.js web/dist/*.css; do
  size=$(gzip -9 -c "$f" | wc -c)
  case "$(basename "$f")" in
    baryon-preview*) preview=$((preview + size)) ;;
    *) total=$((total + size)) ;;
  esac
done
printf '[console] web/dist: %s bytes wasm+js+css, gzip -9\n' "$total" >&2
printf '[console] preview worker (loaded when a preview is opened): %s bytes wasm+js, gzip -9\n' "$preview" >&2
