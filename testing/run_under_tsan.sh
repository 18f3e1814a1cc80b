#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a test program built with --config=tsan with granule's ThreadSanitizer
# suppressions (testing/tsan_suppressions.txt); .bazelrc passes this script as
# --run_under. Usage: run_under_tsan.sh PROGRAM [ARG...]. Exits with the
# program's status.
set -euo pipefail
suppressions="${TEST_SRCDIR:-$0.runfiles}/${TEST_WORKSPACE:-granule}/testing/tsan_suppressions.txt"
if [ ! -r "$suppressions" ]; then
  echo "run_under_tsan: no suppressions file at $suppressions" >&2
  exit 1
fi
# Suppressions name functions, so a report must be symbolized for them to
# match; without a symbolizer every suppressed race would fail the test.
symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
if [ ! -x "$symbolizer" ]; then
  echo "run_under_tsan: no $symbolizer (Debian package llvm-14)" >&2
  exit 1
fi
export TSAN_OPTIONS="suppressions=$suppressions external_symbolizer_path=$symbolizer ${TSAN_OPTIONS:-}"
exec "$@"
