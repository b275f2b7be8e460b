#!/usr/bin/env bash
# Builds the browser demo into dist/ (next to index.html): the usm-web crate for wasm32, then
# wasm-bindgen's JavaScript glue, without the name and producers sections. No wasm-opt pass:
# npm's binaryen 132 reads the module, but on the release build `-Oz` took 6.7 minutes here and
# gzipped larger (18.5 MB, 4.69 MB gzipped, against 4.58 MB without it).
# Needs: rustup target wasm32-unknown-unknown, and wasm-bindgen-cli at the exact wasm-bindgen
# version in Cargo.lock (`.ci/run` installs both). Serve the repository root over HTTP to try it:
#   bash web/build.sh && python3 -m http.server 8000   # then open http://localhost:8000/
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "web/build.sh: wasm-bindgen-cli $want is needed (found: ${have:-none}); install it with" >&2
  echo "  cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi
# The `web` profile (Cargo.toml) builds for size: opt-level "s", fat LTO, one codegen unit.
cargo build --profile web --target wasm32-unknown-unknown -p usm-web
rm -rf dist.tmp
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir dist.tmp "$target/wasm32-unknown-unknown/web/usm_web.wasm"
# Replace dist/ only once the whole build succeeded: never half a demo.
rm -rf dist
mv dist.tmp dist
wasm=dist/usm_web_bg.wasm
echo "web/build.sh: built dist/ (module $(wc -c < "$wasm") bytes, $(gzip -9 -c "$wasm" | wc -c) gzipped); serve the repository root over HTTP and open index.html"
