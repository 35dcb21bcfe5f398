#!/bin/sh
# Builds and runs kiln's demo program (examples/demo.cpp). The README's first command.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
build=${KILN_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target demo
"$build/examples/demo"
