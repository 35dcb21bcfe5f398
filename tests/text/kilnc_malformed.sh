#!/bin/sh
# Runs kilnc on every file of the malformed corpus (tests/data/malformed) with several output
# kinds: each must exit 1 with `file:line:col: error:` or `FILE: error:` on stderr, never
# crash (a signal gives a status above 128) or exit 0.
#   kilnc_malformed.sh KILNC CORPUS_DIR
set -u
kilnc=$1
corpus=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for f in "$corpus"/*.kir; do
  for kind in ir kernels obj; do
    "$kilnc" "$f" --emit=$kind -o "$work/out" 2>"$work/err"
    rc=$?
    if [ "$rc" -ne 1 ] || ! grep -q "error: " "$work/err"; then
      echo "FAILED: kilnc $f --emit=$kind: exit status $rc, stderr:" >&2
      cat "$work/err" >&2
      failed=1
    fi
    if [ -e "$work/out" ]; then
      echo "FAILED: kilnc $f --emit=$kind left an output file" >&2
      failed=1
    fi
  done
done
exit "$failed"
