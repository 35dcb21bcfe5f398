#!/bin/sh
# Copies the fmt and doctest headers of this machine (and dlpack.h when installed) into
# third_party/ (git-ignored), so that the tree can be built where none is installed (a GPU
# machine without a package registry): CMake uses them when find_package finds no installed
# package (fmt header-only).
#   tests/gpu/vendor.sh [include-dir]      (default /usr/include)
set -eu
inc=${1:-/usr/include}
root=$(cd "$(dirname "$0")/../.." && pwd)
test -f "$inc/fmt/format.h" || { echo "vendor.sh: no fmt headers in $inc" >&2; exit 1; }
test -f "$inc/doctest/doctest.h" || { echo "vendor.sh: no doctest header in $inc" >&2; exit 1; }
rm -rf "$root/third_party/fmt" "$root/third_party/doctest"
mkdir -p "$root/third_party/fmt/include" "$root/third_party/doctest"
cp -r "$inc/fmt" "$root/third_party/fmt/include/"
cp -r "$inc/doctest" "$root/third_party/doctest/"
rm -rf "$root/third_party/dlpack"
if test -f "$inc/dlpack/dlpack.h"; then
  mkdir -p "$root/third_party/dlpack"
  cp -r "$inc/dlpack" "$root/third_party/dlpack/"
fi
echo "vendor.sh: fmt and doctest headers copied to $root/third_party"
