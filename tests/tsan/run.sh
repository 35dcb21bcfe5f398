#!/bin/sh
# Builds kiln and the threading test with ThreadSanitizer in a build tree of its own and runs
# the test's multi-threaded cases; any data race fails it.
# usage: run.sh SOURCE_DIR WORK_DIR
set -eu
src=$1 work=$2
gen=""
command -v ninja >/dev/null 2>&1 && gen="-G Ninja"
cmake -S "$src" -B "$work" $gen -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_SANITIZE=thread \
  -DKILN_BUILD_EXAMPLES=OFF -DKILN_BUILD_TOOLS=OFF >"$work.log" 2>&1 || { cat "$work.log"; exit 1; }
cmake --build "$work" --target test_frontend_memory_threads >>"$work.log" 2>&1 || { cat "$work.log"; exit 1; }
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$work/tests/test_frontend_memory_threads" -tc="*thread*"
