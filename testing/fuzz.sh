#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzzes granule's reader, validator and loader with libFuzzer, seeded from
# writer outputs and Debian's Guile files, and prints one table: target,
# seconds, executions, exec/s, coverage (libFuzzer's cov: edges and ft:
# features), corpus size and findings. Each crash, leak, timeout or
# out-of-memory input is copied to testing/fuzz/regressions/<target>/ (commit
# it: //testing/fuzz:<target>_replay_test then replays it in CI).
#
# Usage: testing/fuzz.sh [--seconds=N] [--targets=a,b] [--work=DIR]
#   --seconds  per target (default 60); targets run one after another
#   --targets  default elf_reader_fuzzer,load_plan_fuzzer,loader_fuzzer
#   --work     where the seeds and growing corpora go (default: a temporary
#              folder, removed at exit); reuse one to resume long runs
# ./bazelw installs clang-14, libclang-rt-14-dev (libFuzzer) and the Guile
# packages (for --config=fuzz). The last line is "fuzz: targets=N executions=N findings=N".
# Exits non-zero when there are findings or a target did not run.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=60
targets=elf_reader_fuzzer,load_plan_fuzzer,loader_fuzzer
work=""
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#--seconds=} ;;
    --targets=*) targets=${arg#--targets=} ;;
    --work=*) work=${arg#--work=} ;;
    *) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
IFS=, read -ra chosen <<<"$targets"

# bazelw installs the Guile packages the seeds come from with --config=fuzz.
# The seeds and regressions are replayed by libFuzzer itself before it
# mutates (and by the *_replay_test targets in the matrix's other rows).
if ! ./bazelw build --config=fuzz //testing/fuzz:make_seeds \
  "${chosen[@]/#///testing/fuzz:}" >"$work/build.log" 2>&1; then
  echo "fuzz: build failed:" >&2
  grep -E 'ERROR|error:' "$work/build.log" | head -20 >&2
  echo "fuzz: targets=0 executions=0 findings=1"
  exit 1
fi
bin=$(./bazelw info --config=fuzz bazel-bin 2>/dev/null)
"$bin/testing/fuzz/make_seeds" "$work/seeds" >&2 || exit 1

# stat NAME LOG: a -print_final_stats=1 figure.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }
# progress FIELD LOG: a field of libFuzzer's last status line ("cov: 1234").
progress() { grep -E '^#[0-9]+' "$2" | tail -1 | sed -n "s/.* $1: \\([^ ]*\\).*/\\1/p"; }

printf -v header '%-20s %7s %11s %8s %7s %8s %7s %8s' \
  target seconds executions exec/s cov ft corpus findings
rows=() total_runs=0 total_findings=0 failed=0
for t in "${chosen[@]}"; do
  corpus=$work/corpus/$t artifacts=$work/artifacts/$t log=$work/$t.log
  mkdir -p "$corpus" "$artifacts"
  regressions=()
  [ -d "testing/fuzz/regressions/$t" ] && regressions=("testing/fuzz/regressions/$t")
  echo "fuzz: $t for ${seconds}s" >&2
  start=$SECONDS
  "$bin/testing/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" \
    "$corpus" "$work/seeds" ${regressions[@]+"${regressions[@]}"} >"$log" 2>&1
  status=$?
  elapsed=$((SECONDS - start))
  findings=0
  mkdir -p "testing/fuzz/regressions/$t"
  for f in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -e "$f" ] || continue
    cp "$f" "testing/fuzz/regressions/$t/"
    echo "fuzz: $t: finding $(basename "$f") copied to testing/fuzz/regressions/$t/" >&2
    findings=$((findings + 1))
  done
  rmdir "testing/fuzz/regressions/$t" 2>/dev/null
  runs=$(stat number_of_executed_units "$log")
  if [ "$status" != 0 ] && [ "$findings" = 0 ]; then
    echo "fuzz: $t exited $status without an artifact:" >&2; tail -20 "$log" >&2
    failed=$((failed + 1))
  elif [ "$findings" != 0 ]; then
    grep -E 'ERROR|SUMMARY|finding|#[0-9] ' "$log" | head -20 >&2
  fi
  rows+=("$(printf '%-20s %7s %11s %8s %7s %8s %7s %8s' "$t" "$elapsed" "${runs:-?}" \
    "$(stat average_exec_per_sec "$log")" "$(progress cov "$log")" \
    "$(progress ft "$log")" "$(find "$corpus" -type f | wc -l)" "$findings")")
  total_runs=$((total_runs + ${runs:-0}))
  total_findings=$((total_findings + findings))
done

echo "$header"
printf '%s\n' "${rows[@]}"
echo "cov: edges covered; ft: libFuzzer's features; corpus: new inputs kept (seeds: $(ls "$work/seeds" | wc -l))"
echo "fuzz: targets=${#chosen[@]} executions=$total_runs findings=$((total_findings + failed))"
[ "$total_findings" = 0 ] && [ "$failed" = 0 ]
