#!/bin/sh
# Installs the Debian 12 packages that building and testing kiln need, when they are missing.
# Needs root (or sudo) only when something must be installed.
set -eu
packages="cmake ninja-build g++ llvm-19-dev llvm-19-tools libfmt-dev doctest-dev libdlpack-dev"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "kiln: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "kiln: these packages are missing and this is not root:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
