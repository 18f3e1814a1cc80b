#!/usr/bin/env bash
# The granule command as a user meets it: output and exit codes.
set -u
granule="$(dirname "$0")/granule"
[ -x "$granule" ] || granule="${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/granule"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$granule" info) || fail "info exited $?"
page=$(getconf PAGESIZE)
want="page size                $((page / 1024)) KiB"
grep -qF "$want" <<<"$out" || fail "info lacks '$want': $out"
grep -q "memory backend           posix" <<<"$out" || fail "info lacks backend: $out"

json=$("$granule" info --json) || fail "info --json exited $?"
grep -q "\"page_size\":$page," <<<"$json" || fail "info --json: $json"

demo=$("$granule" demo) || fail "demo exited $?"
grep -q "64 KiB pages (ppc64, arm64)  *refused -> malloc  *mapped" <<<"$demo" \
  || fail "demo table row for 64 KiB pages: $demo"

"$granule" frobnicate >/dev/null 2>&1; code=$?
[ "$code" = 2 ] || fail "unknown command exited $code, want 2"
"$granule" >/dev/null 2>&1; code=$?
[ "$code" = 2 ] || fail "no command exited $code, want 2"
"$granule" --help >/dev/null 2>&1 && true

if [ "$failures" = 0 ]; then echo "granule command: all checks passed"; fi
exit "$failures"
