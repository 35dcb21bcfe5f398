#!/bin/sh
# The ctest `bench_quick`: runs `kiln-bench --quick` (and `--quick --json`) and checks that it
# exits with status 0 and prints every workload line with its fields and `check=ok`. It is a
# functional check of the benchmark and of kiln's results on its workloads, not a timing
# assertion. Usage: quick_check.sh PATH/TO/kiln-bench
set -eu
bench=$1
out=$("$bench" --quick) || { echo "$out"; echo "kiln-bench --quick failed" >&2; exit 1; }
echo "$out"
fail=0
echo "$out" | grep -q '^# cpu=' || { echo "missing the '# cpu=...' header line" >&2; fail=1; }
for w in W1 W2 W3 W4 W5 W7; do
  echo "$out" | grep -Eq "^$w n=[0-9]+ kiln_ms=[0-9.e+-]+ ref_ms=[0-9.e+-]+ ratio=[0-9.]+ gbps=[0-9.]+ check=ok( |\$)" ||
    { echo "missing or malformed line: $w" >&2; fail=1; }
done
echo "$out" | grep -Eq '^C1 cold_ms=-?[0-9.e+-]+ disk_ms=-?[0-9.e+-]+( |$)' || { echo "missing or malformed line: C1" >&2; fail=1; }
json=$("$bench" --quick --runs 1 --only W3,C1 --json) || { echo "$json"; echo "kiln-bench --json failed" >&2; exit 1; }
echo "$json"
for w in machine W3 C1; do
  echo "$json" | grep -q "\"name\": \"$w\"" || { echo "--json lacks the $w record" >&2; fail=1; }
done
exit $fail
