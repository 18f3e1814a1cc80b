#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Guile's own loader (load-thunk-from-file, guile-3.0) accepts the sample
# description linked by granule, and refuses the same image with EI_OSABI 0:
# the sample is Guile-shaped, and the check can tell.
set -u
here="$(dirname "$0")"
find_data() {
  if [ -e "$here/$1" ]; then echo "$here/$1"; else echo "${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/$1"; fi
}
granule=$(find_data granule)
sample=$(find_data testdata/sample.image)
scratch="${TEST_TMPDIR:-$(mktemp -d)}"
guile=$(command -v guile-3.0) || { echo "FAIL: guile-3.0 missing"; exit 1; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Prints "thunk" when Guile loads FILE, else Guile's error.
guile_load() {
  "$guile" --no-auto-compile -c "
    (use-modules (system vm loader))
    (catch #t
      (lambda ()
        (display (if (procedure? (load-thunk-from-file \"$1\")) \"thunk\" \"?\")))
      (lambda (key . args) (display key) (display \" \") (write args)))" 2>&1
}

"$granule" link "$sample" -o "$scratch/sample.go" >/dev/null || fail "link of the sample"
got=$(guile_load "$scratch/sample.go")
[ "$got" = thunk ] || fail "Guile refuses the sample: $got"

sed 's/^osabi 255/osabi 0/' "$sample" >"$scratch/osabi0.image"
grep -q "^osabi 0" "$scratch/osabi0.image" || fail "the sample has no osabi line"
"$granule" link "$scratch/osabi0.image" -o "$scratch/osabi0.go" >/dev/null \
  || fail "link with osabi 0"
got=$(guile_load "$scratch/osabi0.go")
grep -q "OS ABI" <<<"$got" || fail "Guile should refuse EI_OSABI 0 by its OS ABI: $got"

if [ "$failures" = 0 ]; then echo "Guile loads the sample"; fi
exit "$failures"
