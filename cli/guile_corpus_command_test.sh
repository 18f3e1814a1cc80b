#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `granule check` and `granule load` (both paths) over every Guile .go file
# Debian's guile-2.2-libs and guile-3.0-libs install. The test machine has
# them (./bazelw installs them), so too few files is a failure, not a skip.
set -u
granule="$(dirname "$0")/granule"
[ -x "$granule" ] || granule="${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/granule"
readonly minimum_files=300
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

files=()
while IFS= read -r -d '' file; do
  files+=("$file")
done < <(find /usr/lib/*/guile/*/ccache -name '*.go' -print0 2>/dev/null | sort -z)
echo "found ${#files[@]} Guile .go files"
if [ "${#files[@]}" -lt "$minimum_files" ]; then
  echo "FAIL: expected at least $minimum_files .go files under" \
    "/usr/lib/*/guile/*/ccache; install guile-2.2-libs and guile-3.0-libs"
  exit 1
fi

out=$("$granule" check "${files[@]}" 2>&1); code=$?
summary=$(grep '^checked ' <<<"$out")
echo "check: $summary"
[ "$code" = 0 ] || fail "check exited $code: $(grep -v '^ ' <<<"$out" | grep -v 'contract met$' | head -20)"
want="checked ${#files[@]} files: $((4 * ${#files[@]})) (file, page size) pairs mapped whole, 0 per segment, 0 by copy, 0 invalid"
[ "$summary" = "$want" ] || fail "check summary: '$summary', want '$want'"
want="granule itself would load ${#files[@]} of ${#files[@]}"
grep -qx "$want" <<<"$out" || fail "check's loader totals lack '$want': $(tail -n 8 <<<"$out")"

for path in shared malloc; do
  out=$("$granule" load --path=$path "${files[@]}" 2>&1); code=$?
  summary=$(tail -n 1 <<<"$out")
  echo "load --path=$path: $summary"
  [ "$code" = 0 ] || fail "load --path=$path exited $code: $(head -20 <<<"$out")"
  grep -q "^loading ${#files[@]} files took .* $path ${#files[@]} (.*failed 0$" <<<"$summary" \
    || fail "load --path=$path summary: $summary"
done

if [ "$failures" = 0 ]; then echo "guile corpus: all checks passed"; fi
exit "$failures"
