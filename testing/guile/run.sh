#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one Guile workload three ways and compares them: plain Debian Guile;
# Guile on granule's shared path; Guile on granule's malloc path (what a
# machine whose page size breaks the 64 KiB invariant gets). Granule comes in
# through granule_preload.so (LD_PRELOAD), which answers libguile's mmap of
# each .go file with an image granule loaded.
#
# Usage: testing/guile/run.sh [--preload=SO] [--modules=N] [--keep=DIR]
#   --preload  the preload library (default: Bazel's runfiles under
#              `bazel test`, else the one ./bazelw build //testing/guile:preload made)
#   --modules  how many modules of Guile's own sources to compile (32)
#   --keep     keep the runs' files in DIR (default: a temporary directory)
#
# The workload (workload.scm), the same in each run:
#   compile  N modules from Guile's source directory, smallest first, those
#            that compile on their own (chosen in the plain run); the .go
#            outputs must be byte-identical across the runs
#   image-table  backtraces with source locations, names, arities,
#            docstrings and sources of procedures in Guile's .go files, and a
#            GC-heavy loop: the same text in every run
#   load-all load-thunk-from-file on every .go Guile ships: all load, in
#            every run
# Each granule run must have loaded images by its path and by no other, and
# none refused: a run in which granule loaded nothing fails.
# Prints `guile-granule:` lines (the comparison) and exits 0 only if all agree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
preload="" modules=32 keep=""
for arg in "$@"; do
  case "$arg" in
    --preload=*) preload=${arg#--preload=} ;;
    --modules=*) modules=${arg#--modules=} ;;
    --keep=*) keep=${arg#--keep=} ;;
    *) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

fail() { echo "guile-granule: FAIL: $*" >&2; exit 1; }

command -v guile >/dev/null || fail "no guile on PATH (Debian package guile-3.0)"
if [ -z "$preload" ]; then
  if [ -n "${TEST_SRCDIR:-}" ]; then
    preload=$TEST_SRCDIR/granule/testing/guile/granule_preload.so
  else
    # :preload builds in the release configuration, outside bazel-bin; other
    # configurations (a cross build for the VM) may hold a file of that name.
    preload=$here/../../$(cd "$here/../.." && ./bazelw cquery //testing/guile:preload \
      --output=starlark --starlark:expr='target.files.to_list()[0].path' 2>/dev/null)
  fi
fi
[ -f "$preload" ] || fail "no preload library at '$preload' (./bazelw build //testing/guile:preload)"
preload=$(cd "$(dirname "$preload")" && pwd)/$(basename "$preload")

if [ -n "$keep" ]; then
  work=$keep; mkdir -p "$work"
else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
# Guile caches nothing and reads no user files: every run sees the same.
export XDG_CACHE_HOME=$work/cache HOME=$work GUILE_AUTO_COMPILE=0
unset GUILE_LOAD_PATH GUILE_LOAD_COMPILED_PATH LD_PRELOAD GRANULE_PRELOAD_PATH GRANULE_PRELOAD_REPORT

guile_info() { guile --no-auto-compile -c "(display $1)"; }
source_dir=$(guile_info '(%library-dir)')
ccache_dir=$(guile_info "(assq-ref %guile-build-info 'ccachedir)")
echo "guile-granule: $(guile --version | head -1); sources $source_dir; compiled files $ccache_dir"
find "$ccache_dir" -name '*.go' | LC_ALL=C sort >"$work/go.list"
shipped=$(wc -l <"$work/go.list")
[ "$shipped" -gt 0 ] || fail "no .go files under $ccache_dir"
# Candidates: real modules (more than 2 KiB of source), smallest first.
find "$source_dir" -name '*.scm' -size +2k -printf '%s %p\n' | LC_ALL=C sort -n -k1,1 -k2 |
  cut -d' ' -f2- >"$work/candidates.list"

# run_guile MODE ARGS...: guile on the workload, the preload set for MODE.
run_guile() {
  local mode=$1; shift
  if [ "$mode" = plain ]; then
    guile --no-auto-compile "$here/workload.scm" "$@"
  else
    LD_PRELOAD=$preload GRANULE_PRELOAD_PATH=$mode \
      GRANULE_PRELOAD_REPORT=$work/$mode/report \
      guile --no-auto-compile "$here/workload.scm" "$@"
  fi
}

# Hex addresses (of closures, modules) differ between any two runs.
normalize() { sed -E 's/[0-9a-f]{8,}/ADDR/g'; }

# run_mode MODE: the workload's three tasks, outputs in $work/MODE.
run_mode() {
  local mode=$1 dir=$work/$1 start=$SECONDS
  rm -rf "$dir"; mkdir -p "$dir/go"
  if [ "$mode" = plain ]; then
    run_guile plain select "$work/candidates.list" "$modules" "$work/chosen.list" "$dir/go" \
      >"$dir/compile.out" 2>"$dir/compile.err" || fail "$mode: compiling failed: $(tail -3 "$dir/compile.err")"
  else
    run_guile "$mode" compile "$work/chosen.list" "$dir/go" \
      >"$dir/compile.out" 2>"$dir/compile.err" || fail "$mode: compiling failed: $(tail -3 "$dir/compile.err")"
  fi
  run_guile "$mode" image-table 2>"$dir/image-table.err" | normalize >"$dir/image-table.txt" ||
    fail "$mode: image-table failed: $(tail -3 "$dir/image-table.err")"
  run_guile "$mode" load-all "$work/go.list" >"$dir/load-all.txt" 2>"$dir/load-all.err" ||
    fail "$mode: load-all failed: $(tail -3 "$dir/load-all.err")"
  echo "guile-granule: $mode: ran in $((SECONDS - start)) s"
}

# Plain Guile chooses the modules; the two granule runs then go side by side.
run_mode plain
run_mode shared & shared_job=$!
run_mode malloc & malloc_job=$!
wait "$shared_job" || fail "the shared run failed"
wait "$malloc_job" || fail "the malloc run failed"

status=0
check() { # check CONDITION_TEXT COMMAND...
  local what=$1; shift
  if ! "$@"; then echo "guile-granule: FAIL: $what" >&2; status=1; fi
}

chosen=$(wc -l <"$work/chosen.list")
check "$chosen modules compiled on their own, fewer than $modules" [ "$chosen" -ge "$modules" ]
check "the image-table output lacks source locations" \
  grep -q '^backtrace names srfi/srfi-1.scm: yes$' "$work/plain/image-table.txt"
check "plain Guile loaded $(grep -o '[0-9]* of [0-9]*' "$work/plain/load-all.txt") of Guile's $shipped .go files" \
  grep -qx "load-all: $shipped of $shipped" "$work/plain/load-all.txt"

# sum_report FILE FIELD: the field summed over the processes' report lines.
sum_report() {
  awk -v field="$2" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == field) s += kv[2] } }
    END { print s + 0 }' "$1"
}

for mode in shared malloc; do
  dir=$work/$mode identical=0
  while read -r n; do
    if cmp -s "$work/plain/go/$n.go" "$dir/go/$n.go"; then
      identical=$((identical + 1))
    else
      echo "guile-granule: $mode: $(sed -n "${n}p" "$work/chosen.list") compiled differently" >&2
    fi
  done < <(seq 1 "$chosen")
  check "$mode: $identical of $chosen .go outputs byte-identical to plain Guile's" [ "$identical" = "$chosen" ]
  same_table=yes
  diff -u "$work/plain/image-table.txt" "$dir/image-table.txt" >"$dir/image-table.diff" || same_table=no
  check "$mode: the image-table output differs from plain Guile's ($dir/image-table.diff)" [ "$same_table" = yes ]
  same_load=yes
  cmp -s "$work/plain/load-all.txt" "$dir/load-all.txt" || same_load=no
  check "$mode: load-all differs from plain Guile's" [ "$same_load" = yes ]
  [ -f "$dir/report" ] || : >"$dir/report"
  processes=$(grep -c '^granule-preload: ' "$dir/report" || true)
  loaded=$(sum_report "$dir/report" loaded)
  on_path=$(sum_report "$dir/report" "$mode")
  other=$(sum_report "$dir/report" "$([ "$mode" = shared ] && echo malloc || echo shared)")
  refused=$(sum_report "$dir/report" refused)
  check "$mode: $processes preload reports for 3 Guile processes" [ "$processes" = 3 ]
  check "$mode: granule loaded nothing" [ "$loaded" -gt 0 ]
  # The processes run one after another, so the last report is load-all's:
  # every .go file it loads must have gone through granule.
  load_all=$(tail -n 1 "$dir/report" | sum_report /dev/stdin loaded)
  check "$mode: the load-all process loaded $load_all images through granule, fewer than the $shipped .go files" \
    [ "$load_all" -ge "$shipped" ]
  check "$mode: $loaded loaded but $on_path by the $mode path" [ "$on_path" = "$loaded" ]
  check "$mode: $other images by the other path" [ "$other" = 0 ]
  check "$mode: granule refused $refused images ($dir/*.err)" [ "$refused" = 0 ]
  echo "guile-granule: $mode: compiled $chosen modules, $identical byte-identical to plain;" \
    "image-table same=$same_table; $(cat "$dir/load-all.txt"), same=$same_load;" \
    "preload over $processes processes: loaded=$loaded $mode=$on_path other=$other refused=$refused;" \
    "load-all alone loaded=$load_all"
done
echo "guile-granule: plain: compiled $chosen modules; $(cat "$work/plain/load-all.txt")"
if [ "$status" = 0 ]; then echo "guile-granule: PASS"; else echo "guile-granule: FAIL"; fi
exit "$status"
