#!/bin/sh
# Builds kiln with its tests and runs the whole suite. The README's second command; CI runs it.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
build=${KILN_BUILD_DIR:-build}
jobs=${KILN_TEST_JOBS:-$(nproc)}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_BUILD_TESTS=ON >/dev/null
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
