#!/bin/sh
# Builds and runs the kiln demo (examples/train.cpp: a small network trained by gradient
# descent through kiln). The README's first command.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
build=${KILN_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target train
"$build/examples/train"
