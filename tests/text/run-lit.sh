#!/bin/sh
# Runs the `// RUN:` lines of one text test, like LLVM's lit but with nothing beyond POSIX sh.
#
#   run-lit.sh FILE KILN_OPT FILECHECK [KILNC]
#
# In each RUN line `%s` becomes FILE, `%S` its directory and `%t` a path in a fresh temporary
# directory. A command
# that starts a pipeline stage (at the start of the line or after `|`, `&&`, `;`) and is
# `kiln-opt`, `kilnc` or `FileCheck` runs through this script's --stage mode with the tool's absolute
# path; `not TOOL` does too, with the exit status inverted (a crash, status > 128, stays a
# failure). --stage writes every failing stage to a status file, so a failure anywhere in a
# pipeline fails the test: POSIX sh has no `set -o pipefail`.
set -u

if [ "${1:-}" = "--stage" ]; then
  # run-lit.sh --stage STATUS_FILE [--not] COMMAND ARGS...
  status_file=$2
  shift 2
  negate=0
  if [ "$1" = "--not" ]; then
    negate=1
    shift
  fi
  "$@"
  rc=$?
  if [ "$negate" = 1 ]; then
    if [ "$rc" -eq 0 ]; then rc=1; elif [ "$rc" -le 128 ]; then rc=0; fi
  fi
  if [ "$rc" -ne 0 ]; then echo "exit status $rc from: $*" >>"$status_file"; fi
  exit "$rc"
fi

if [ $# -ne 3 ] && [ $# -ne 4 ]; then
  echo "usage: run-lit.sh FILE KILN_OPT FILECHECK [KILNC]" >&2
  exit 2
fi
file=$1
LIT_SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
LIT_KILN_OPT=$2
LIT_FILECHECK=$3
LIT_KILNC=${4:-kilnc-was-not-given-to-run-lit.sh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
LIT_STATUS=$work/status
export LIT_SELF LIT_KILN_OPT LIT_FILECHECK LIT_KILNC LIT_STATUS

sed -n 's|^[[:space:]]*//[[:space:]]*RUN:[[:space:]]*||p' "$file" >"$work/runs"
if [ ! -s "$work/runs" ]; then
  echo "$file: no RUN line" >&2
  exit 1
fi

# Escapes a string for the replacement side of a sed `s#...#...#` command.
sed_escape() { printf '%s\n' "$1" | sed -e 's/[\\&#]/\\&/g'; }
file_q=$(sed_escape "$file")
dir_q=$(sed_escape "$(dirname "$file")")
tmp_q=$(sed_escape "$work/t")
stage='(^|[|]|&&|;)[[:space:]]*'
tool='(kiln-opt|kilnc|FileCheck)([[:space:]]|$)'

failed=0
while IFS= read -r line; do
  cmd=$(printf '%s\n' "$line" | sed -E \
    -e "s#%s#'$file_q'#g" -e "s#%S#'$dir_q'#g" -e "s#%t#'$tmp_q'#g" \
    -e "s#$stage""not[[:space:]]+$tool#\\1 @NOT@\\2\\3#g" \
    -e "s#$stage$tool#\\1 @RUN@\\2\\3#g" \
    -e 's#@(NOT|RUN)@kiln-opt#@\1@"$LIT_KILN_OPT"#g' \
    -e 's#@(NOT|RUN)@kilnc#@\1@"$LIT_KILNC"#g' \
    -e 's#@(NOT|RUN)@FileCheck#@\1@"$LIT_FILECHECK"#g' \
    -e 's#@NOT@#"$LIT_SELF" --stage "$LIT_STATUS" --not #g' \
    -e 's#@RUN@#"$LIT_SELF" --stage "$LIT_STATUS" #g')
  echo "RUN: $line"
  : >"$LIT_STATUS"
  sh -c "$cmd"
  rc=$?
  if [ "$rc" -ne 0 ] || [ -s "$LIT_STATUS" ]; then
    echo "FAILED (exit status $rc): $cmd" >&2
    cat "$LIT_STATUS" >&2
    failed=1
  fi
done <"$work/runs"
exit "$failed"
