#!/bin/sh
# The GPU checks in one command, from the repository root of a machine with an NVIDIA GPU, the
# CUDA toolkit (NVRTC), a C++ compiler, CMake and ninja (no LLVM needed):
#   sh tests/gpu/run.sh [build-dir]        (default build-gpu)
# Configures with -DKILN_LLVM=OFF (fmt, doctest and dlpack.h from installed packages or
# third_party/, see tests/gpu/vendor.sh), builds the tests and kiln-cuda-bench, runs the
# device model and device runtime tests, then the whole differential suite with
# KILN_DEVICE=cuda (CUDA against the interpreter, every operand layout, 500 random graphs),
# each program split into KILN_GPU_SHARDS processes run at once (KILN_DIFF_SHARD: cold NVRTC
# compiles dominate, and they share the disk kernel cache), then the benchmark. Logs go to
# <build-dir>/gpu-logs. Exit status: 0 when every test passed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build-gpu}
jobs=${KILN_GPU_JOBS:-$(nproc)}
shards=${KILN_GPU_SHARDS:-8}
cd "$root" || exit 1
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_LLVM=OFF -DKILN_BUILD_TESTS=ON \
  -DKILN_BUILD_EXAMPLES=OFF -DKILN_BUILD_BENCH=ON || exit 1
targets="test_device_model test_cuda_device test_diff_ops test_diff_random_graphs kiln-cuda-bench"
[ -f "$build/tests/CTestTestfile.cmake" ] && grep -q '/test_dlpack"' "$build/tests/CTestTestfile.cmake" &&
  targets="$targets test_dlpack"
ninja -C "$build" -j "$jobs" $targets || exit 1
logs="$build/gpu-logs"
rm -rf "$logs" && mkdir -p "$logs" || exit 1
status=0
tests='^(device_model|cuda_device)$'
case $targets in *test_dlpack*) tests='^(device_model|cuda_device|dlpack)$' ;; esac
KILN_DEVICE=cuda ctest --test-dir "$build" --output-on-failure -R "$tests" || status=1

# test_<name> as $shards processes at once; prints each shard's summary, the failures' logs.
sharded() {
  name=$1
  failed=0
  i=0
  pids=""
  while [ "$i" -lt "$shards" ]; do
    KILN_DEVICE=cuda KILN_DIFF_SHARD="$i/$shards" KILN_NUM_THREADS=2 KILN_TEST_DATA="$root/tests/data" \
      KILN_CACHE_DIR="$build/tests/kernel-cache" "$build/tests/test_$name" >"$logs/$name-$i.log" 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
  done
  i=0
  for p in $pids; do
    if wait "$p"; then
      echo "$name shard $i/$shards: $(grep -h 'assertions:' "$logs/$name-$i.log")"
    else
      echo "$name shard $i/$shards FAILED:"
      tail -n 60 "$logs/$name-$i.log"
      failed=1
    fi
    i=$((i + 1))
  done
  return $failed
}
start=$(date +%s)
sharded diff_ops &
ops=$!
sharded diff_random_graphs || status=1
wait $ops || status=1
echo "differential tests on the GPU: $(($(date +%s) - start)) s"
echo "---- kiln-cuda-bench ----"
"$build/bench/kiln-cuda-bench" --runs 20 || status=1
echo "tests/gpu/run.sh: $([ $status -eq 0 ] && echo all passed || echo FAILURES)"
exit $status
