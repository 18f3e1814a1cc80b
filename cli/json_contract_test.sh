#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every command's --json output against docs/json.md, parsed by python3's
# json module; file names that are not UTF-8 through JSON, SVG and text.
set -u
here="$(dirname "$0")"
find_data() {
  if [ -e "$here/$1" ]; then echo "$here/$1"; else echo "${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/$1"; fi
}
scratch="${TEST_TMPDIR:-$(mktemp -d)}"
exec python3 "$(find_data json_contract_check.py)" "$(find_data granule)" \
  "$(find_data testdata/sample.image)" "$scratch"
