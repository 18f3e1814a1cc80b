#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every case of the bad-input catalogue (testing/bad_images.h) through the
# real granule command, as a user would meet it: `granule check --loadable`
# and `granule load` exit 1 (refused: not a usage error, not a signal), print
# the case's message with the file's path, and leave no file behind. Plain
# `granule check` judges the layout alone: a case whose program headers are
# sound but which granule would not load (its relocations, its size, ET_EXEC)
# gets a layout verdict and the case's message as the loader's line.
set -u
runfiles="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-_main}"
granule="$runfiles/cli/granule"
writer="$runfiles/testing/write_bad_images"
scratch="${TEST_TMPDIR:-$(mktemp -d)}"
dir="$scratch/bad_images"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

mkdir -p "$dir"
"$writer" "$dir" >/dev/null || { echo "FAIL: write_bad_images"; exit 1; }
table="$dir/expected.tsv"
before=$(cd "$dir" && ls -A | sort)

# Runs granule with the given arguments; sets $out, $err and $code.
run() {
  out=$("$granule" "$@" 2>"$scratch/stderr"); code=$?
  err=$(cat "$scratch/stderr")
}
# expect_exit CASE COMMAND WANT
expect_exit() {
  if [ "$code" -ge 128 ]; then
    fail "$1: $2 died of signal $((code - 128)); stderr: $err"
  elif [ "$code" != "$3" ]; then
    fail "$1: $2 exited $code, want $3; stdout: $out; stderr: $err"
  fi
}
# expect_in CASE WHERE TEXT NEEDLE
expect_in() {
  grep -qF -- "$4" <<<"$3" || fail "$1: $2 lacks '$4': $3"
}

page=$(getconf PAGESIZE)
cases=0
not_loaded=0  # Cases plain check judges, with the loader's refusal.
refused=()  # Files every load refuses.
shared=()   # Files only the shared path refuses.
while IFS=$'\t' read -r name stage expected; do
  cases=$((cases + 1))
  file="$dir/$name.go"
  run check "$file"
  case "$stage" in
    read | load)
      if [ "$code" != 1 ] || [ "$name" = e_type_exec ]; then
        # Sound headers: a layout verdict, and why granule would not load it.
        [ "$code" = 0 ] || [ "$code" = 3 ] || fail "$name: check exited $code, want 0 or 3; stderr: $err"
        expect_in "$name" "check's report" "$out" "granule would not load it: $expected"
        not_loaded=$((not_loaded + 1))
      else  # Headers no page size can place: invalid input.
        expect_in "$name" "check's stderr" "$err" "granule check: $file: $expected"
      fi
      ;;
    shared)  # Not mapped whole at some default page size, with the reason.
      if [ "$code" = 0 ]; then
        # Small p_align, but every segment on its own pages: all map, one by
        # one, and nothing is copied.
        expect_in "$name" "check's report" "$out" "per segment; not whole: $expected"
        ! grep -qE "copied|partly" <<<"$out" || fail "$name: exit 0 but a segment is copied: $out"
      else
        expect_exit "$name" check 3
      fi
      expect_in "$name" "check's report" "$out" "$file: ELF"
      grep -qF -e "malloc: $expected" -e "not whole: $expected" <<<"$out" \
        || fail "$name: check's report lacks the reason '$expected': $out"
      ;;
    load_at_base)  # Depends on the base: no check can see it.
      expect_exit "$name" check 0
      ;;
    *) fail "$name: unknown stage '$stage'" ;;
  esac
  if [ "$stage" = shared ]; then shared+=("$file"); else refused+=("$file"); fi
done <"$table"

# granule check --loadable refuses what a load would, by the load's words.
run check --loadable "${refused[@]}"
expect_exit "all refused files" "check --loadable" 1
loadable_err="$err"
while IFS=$'\t' read -r name stage expected; do
  [ "$stage" = read ] || [ "$stage" = load ] || continue
  expect_in "$name" "check --loadable's stderr" "$loadable_err" \
    "granule check: $dir/$name.go: $expected"
done <"$table"

# granule load, one process for many files (each process costs ~30 ms):
# each file's error is on stderr, and the failed count is exact.
run load "${refused[@]}"
expect_exit "all refused files" load 1
expect_in "load" "load's totals" "$out" "failed ${#refused[@]}"
load_err="$err"
while IFS=$'\t' read -r name stage expected; do
  [ "$stage" = shared ] && continue
  expect_in "$name" "load's stderr" "$load_err" \
    "granule load: $dir/$name.go: $expected"
done <"$table"

# Alignment cases load, segment by segment where the page size allows or as
# heap copies, each with its route; --path=shared refuses them.
run load "${shared[@]}"
expect_exit "shared-path cases" load 0
expect_in "load" "load's totals" "$out" "failed 0"
routes=$(grep -cE '^  route      (per-segment|copy): ' <<<"$out")
[ "$routes" = "${#shared[@]}" ] ||
  fail "load: $routes of ${#shared[@]} alignment cases name their route: $out"
run load --path=shared "${shared[@]}"
expect_exit "shared-path cases" "load --path=shared" 1
shared_err="$err"
while IFS=$'\t' read -r name stage expected; do
  [ "$stage" = shared ] || continue
  want="granule load: $dir/$name.go: the shared path is required but"
  [ "$page" = 4096 ] && want="$want $expected"
  expect_in "$name" "load --path=shared's stderr" "$shared_err" "$want"
done <"$table"

[ "$cases" -ge 50 ] || fail "only $cases cases in $table"
[ "$not_loaded" -ge 20 ] || fail "only $not_loaded cases reached the loader's line"
after=$(cd "$dir" && ls -A | sort)
[ "$before" = "$after" ] || fail "files changed in $dir: $(diff <(echo "$before") <(echo "$after"))"

echo "$cases cases, $failures failures"
[ "$failures" = 0 ]
