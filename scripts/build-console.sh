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
cargo fetch --quiet
# Leptos' `erase_components`: component views are type-erased (smaller wasm; see ARCHITECTURE).
# With `--target` (Trunk passes one), RUSTFLAGS reach only the wasm crates, not build scripts.
export RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components"
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
