#!/bin/sh
# Builds tests/consumer against kiln in two ways and runs it:
#   1. add_subdirectory of the kiln source tree;
#   2. find_package(kiln) after installing the already-built tree into a temporary prefix.
# usage: run.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -eu
src=$1 build=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
gen=""
command -v ninja >/dev/null 2>&1 && gen="-G Ninja"

echo "== add_subdirectory"
cmake -S "$src/tests/consumer" -B "$work/sub" $gen -DKILN_SOURCE_DIR="$src" -DCMAKE_BUILD_TYPE=Release >"$work/sub.log" 2>&1 || { cat "$work/sub.log"; exit 1; }
cmake --build "$work/sub" >>"$work/sub.log" 2>&1 || { cat "$work/sub.log"; exit 1; }
"$work/sub/consumer" | grep -x "consumer: 30"

echo "== find_package after install"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
test -f "$work/prefix/include/kiln/kiln.hpp"
cmake -S "$src/tests/consumer" -B "$work/pkg" $gen -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >"$work/pkg.log" 2>&1 || { cat "$work/pkg.log"; exit 1; }
cmake --build "$work/pkg" >>"$work/pkg.log" 2>&1 || { cat "$work/pkg.log"; exit 1; }
"$work/pkg/consumer" | grep -x "consumer: 30"
echo "consumer builds: ok"
