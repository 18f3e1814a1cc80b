#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs the fast row programs (padding_bench, sharing_bench) and holds every
# stdout line to the row contract of docs/benchmarks.md, so run.sh's table
# cannot silently lose a row. Figures are not judged: benchmarks never fail
# on speed or on a missed target.
set -euo pipefail

field='[^ ]+'
number='-?[0-9.]+(e[-+]?[0-9]+)?'
contract="^granule-bench: row=[1-6] name=${field} granule=${number} \
reference=${number} unit=(ms|us|MiB|KiB|pages|blocks) ratio=-?[0-9]+\.[0-9]{3} \
target=${field} met=(yes|no|n/a) reference_is=${field} note=.*$"

check() {
  local program=$1 expected_names=$2 out
  out=$("$program")
  local lines
  lines=$(printf '%s\n' "$out" | wc -l)
  if grep -Evq "$contract" <<<"$out"; then
    echo "FAIL: $program printed a line outside the row contract:" >&2
    printf '%s\n' "$out" | grep -Ev "$contract" >&2
    exit 1
  fi
  for name in $expected_names; do
    # A here-string, not a pipe: grep -q stops at the first match, and under
    # pipefail the writer's SIGPIPE would fail a row that was printed.
    if ! grep -q " name=${name} " <<<"$out"; then
      echo "FAIL: $program printed no row named $name; it printed:" >&2
      printf '%s\n' "$out" >&2
      exit 1
    fi
  done
  echo "ok: $program, $lines rows"
}

check testing/bench/padding_bench "padding_resident_1to1 \
padding_resident_1to1_copy padding_resident_compact padding_disk_1to1 \
padding_file_compact"
check testing/bench/sharing_bench "sharing_shared_path sharing_malloc_path \
sharing_per_segment sharing_cached_copy"
