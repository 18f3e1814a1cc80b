#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# granule_preload.so's own contract, with Debian's Guile: its variables'
# bad values are refused with a message naming them, an image granule
# refuses is named with granule's reason and left to libc (Guile then
# reports its own error), and the report counts what happened.
set -euo pipefail
preload=$TEST_SRCDIR/granule/testing/guile/granule_preload.so
work=$TEST_TMPDIR/preload
mkdir -p "$work"
export XDG_CACHE_HOME=$work/cache HOME=$work GUILE_AUTO_COMPILE=0
fail() { echo "preload_test: FAIL: $*" >&2; exit 1; }
command -v guile >/dev/null || fail "no guile on PATH (Debian package guile-3.0)"

# field NAME LINE: the value of NAME=... in a report line.
field() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }

# A bad mode: exit status 2 and the variable and value named, nothing run.
status=0
LD_PRELOAD=$preload GRANULE_PRELOAD_PATH=sideways guile -c '(display "ran")' \
  >"$work/out" 2>"$work/err" || status=$?
[ "$status" = 2 ] || fail "GRANULE_PRELOAD_PATH=sideways: exit $status, not 2"
grep -q 'GRANULE_PRELOAD_PATH="sideways" is not auto, shared, malloc or off' "$work/err" ||
  fail "GRANULE_PRELOAD_PATH=sideways: message: $(cat "$work/err")"
[ ! -s "$work/out" ] || fail "GRANULE_PRELOAD_PATH=sideways: Guile ran"

# A report file that cannot be written: named with the reason; Guile's
# output is unaffected.
LD_PRELOAD=$preload GRANULE_PRELOAD_REPORT=$work/missing/dir/report \
  guile -c '(display "ran")' >"$work/out" 2>"$work/err" || fail "unwritable report: Guile failed"
[ "$(cat "$work/out")" = ran ] || fail "unwritable report: output $(cat "$work/out")"
grep -q "GRANULE_PRELOAD_REPORT=\"$work/missing/dir/report\": No such file or directory" "$work/err" ||
  fail "unwritable report: message: $(cat "$work/err")"

# Each path, and off: Guile's startup images are counted by the path asked.
for mode in auto shared malloc off; do
  line=$(LD_PRELOAD=$preload GRANULE_PRELOAD_PATH=$mode GRANULE_PRELOAD_REPORT=- \
    guile -c '(display "ran")' 2>&1 >"$work/out" | grep '^granule-preload: ') ||
    fail "$mode: no report line"
  [ "$(cat "$work/out")" = ran ] || fail "$mode: output $(cat "$work/out")"
  grep -q " mode=$mode " <<<"$line" || fail "$mode: report $line"
  loaded=$(field loaded "$line") shared=$(field shared "$line")
  malloc=$(field malloc "$line") refused=$(field refused "$line") passed=$(field passed "$line")
  [ "$refused" = 0 ] || fail "$mode: refused images: $line"
  case "$mode" in
    auto | shared) [ "$loaded" -gt 0 ] && [ "$shared" = "$loaded" ] || fail "$mode: $line" ;;
    malloc) [ "$loaded" -gt 0 ] && [ "$malloc" = "$loaded" ] || fail "$mode: $line" ;;
    off) [ "$loaded" = 0 ] && [ "$passed" -gt 0 ] || fail "$mode: $line" ;;
  esac
  echo "preload_test: $line"
done

# A .go file cut after its ELF identification: granule refuses it and names
# the file; libc maps it and Guile raises its own error.
ccache=$(guile -c "(display (assq-ref %guile-build-info 'ccachedir))")
head -c 100 "$ccache/ice-9/boot-9.go" >"$work/cut.go"
status=0
LD_PRELOAD=$preload GRANULE_PRELOAD_REPORT=- guile -c \
  "(use-modules (system vm loader)) (load-thunk-from-file \"$work/cut.go\")" \
  >"$work/out" 2>"$work/err" || status=$?
[ "$status" != 0 ] || fail "cut.go: Guile loaded a cut file"
grep -q "^granule_preload: $work/cut.go: .*; mapped by libc instead$" "$work/err" ||
  fail "cut.go: no message naming the file: $(cat "$work/err")"
line=$(grep '^granule-preload: ' "$work/err") || fail "cut.go: no report line"
[ "$(field refused "$line")" = 1 ] || fail "cut.go: report $line"
grep '^granule_preload: ' "$work/err" | sed 's/^/preload_test: /'
echo "preload_test: PASS"
