#!/bin/sh
# The GPU checks in one command, from the repository root of a machine with an NVIDIA GPU, the
# CUDA toolkit (NVRTC), a C++ compiler, CMake and ninja (no LLVM needed):
#   sh tests/gpu/run.sh [build-dir]        (default build-gpu)
# Configures with -DKILN_LLVM=OFF (fmt and doctest from installed packages or third_party/,
# see tests/gpu/vendor.sh), builds the tests and kiln-cuda-bench, runs the device model tests,
# the device runtime tests, the differential tests with KILN_DEVICE=cuda (CUDA against the
# interpreter), then the benchmark. Exit status: 0 when every test passed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build-gpu}
jobs=${KILN_GPU_JOBS:-$(nproc)}
cd "$root" || exit 1
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_LLVM=OFF -DKILN_BUILD_TESTS=ON \
  -DKILN_BUILD_EXAMPLES=OFF -DKILN_BUILD_BENCH=ON || exit 1
ninja -C "$build" -j "$jobs" test_device_model test_cuda_device test_diff_ops test_diff_random_graphs \
  kiln-cuda-bench || exit 1
status=0
ctest --test-dir "$build" --output-on-failure -R '^(device_model|cuda_device|diff_ops_gpu|diff_random_graphs_gpu)$' \
  || status=1
echo "---- kiln-cuda-bench ----"
"$build/bench/kiln-cuda-bench" --runs 20 || status=1
echo "tests/gpu/run.sh: $([ $status -eq 0 ] && echo all passed || echo FAILURES)"
exit $status
