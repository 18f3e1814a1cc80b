#!/usr/bin/env bash
# Every case of the bad-input catalogue (testing/bad_images.h) through the
# real granule command, as a user would meet it: `granule check` and
# `granule load` exit 1 (refused: not a usage error, not a signal), print
# the case's message with the file's path, and leave no file behind.
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
while IFS=$'\t' read -r name stage expected; do
  cases=$((cases + 1))
  file="$dir/$name.go"
  run check "$file"
  case "$stage" in
    read | load)
      expect_exit "$name" check 1
      expect_in "$name" "check's stderr" "$err" "granule check: $file: $expected"
      ;;
    shared)  # Refused at every default page size, with the reason.
      expect_exit "$name" check 1
      expect_in "$name" "check's report" "$out" "$file: ELF"
      expect_in "$name" "check's report" "$out" "malloc: $expected"
      ;;
    load_at_base)  # Depends on the base: no check can see it.
      expect_exit "$name" check 0
      ;;
    *) fail "$name: unknown stage '$stage'" ;;
  esac

  run load "$file"
  if [ "$stage" = shared ]; then
    expect_exit "$name" load 0  # The heap copy, with the reason.
    [ "$page" = 4096 ] && expect_in "$name" "load's report" "$out" "$expected"
    run load --path=shared "$file"
    expect_exit "$name" "load --path=shared" 1
    expect_in "$name" "load --path=shared's stderr" "$err" \
      "granule load: $file: the shared path is required but"
    [ "$page" = 4096 ] && expect_in "$name" "load --path=shared" "$err" "$expected"
  else
    expect_exit "$name" load 1
    expect_in "$name" "load's stderr" "$err" "granule load: $file: $expected"
  fi
done <"$table"

[ "$cases" -ge 50 ] || fail "only $cases cases in $table"
after=$(cd "$dir" && ls -A | sort)
[ "$before" = "$after" ] || fail "files changed in $dir: $(diff <(echo "$before") <(echo "$after"))"

echo "$cases cases, $failures failures"
[ "$failures" = 0 ]
