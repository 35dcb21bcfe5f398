#!/bin/sh
# Builds kiln and its multi-threaded tests (arrays from several threads, the thread pool, the
# kernel cache, dumps and the profiler) with ThreadSanitizer in a build tree of its own and
# runs them; any data race fails the test.
# usage: run.sh SOURCE_DIR WORK_DIR
set -eu
src=$1 work=$2
gen=""
command -v ninja >/dev/null 2>&1 && gen="-G Ninja"
cmake -S "$src" -B "$work" $gen -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_SANITIZE=thread \
  -DKILN_BUILD_EXAMPLES=OFF -DKILN_BUILD_TOOLS=OFF >"$work.log" 2>&1 || { cat "$work.log"; exit 1; }
cmake --build "$work" --target test_frontend_memory_threads test_runtime_pool test_runtime_cache test_runtime_gemm \
  test_runtime_dump test_runtime_profile >>"$work.log" 2>&1 ||
  { cat "$work.log"; exit 1; }
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
"$work/tests/test_frontend_memory_threads" -tc="*thread*"
KILN_BACKEND=kernels "$work/tests/test_frontend_memory_threads" -tc="*thread*"
"$work/tests/test_runtime_pool"
"$work/tests/test_runtime_cache"
KILN_NUM_THREADS=3 "$work/tests/test_runtime_gemm"
"$work/tests/test_runtime_dump" -tc="*threads*"
"$work/tests/test_runtime_profile" -tc="*threads*"
