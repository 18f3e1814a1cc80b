#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# summarize.awk against console logs written by hand: what a VM run proves
# and what it must refuse to call a pass. No QEMU here; run_tests.sh runs the
# real thing.
set -u
if [ -n "${TEST_SRCDIR:-}" ]; then
  summarize="$TEST_SRCDIR/$TEST_WORKSPACE/testing/vm/summarize.awk"
else
  summarize="$(dirname "$0")/summarize.awk"
fi
work="${TEST_TMPDIR:-$(mktemp -d)}/summarize"
mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The console of a good run on the 64 KiB machine: CR LF line ends (serial
# consoles add the CR) and a kernel message cut into /init's first line.
good_log() {
  printf '%s\r\n' \
    '[    0.53] nvram: Failed to initialize oops partition!' \
    '#1 SMP Debian[    0.537] x granule-vm: kernel 6.1.0-50-powerpc64le ppc64le' \
    'granule-vm: page-size getpagesize=65536 at_pagesz=65536' \
    'granule-vm: probe mprotect-at-4k-offset EINVAL' \
    'granule-vm: probe map-fixed-at-4k-offset EINVAL' \
    'granule-vm: begin alpha_test' \
    '[==========] 4 tests from 1 test suite ran. (112 ms total)' \
    '[  PASSED  ] 4 tests.' \
    'granule-vm: alpha_test exit 0' \
    'granule-vm: begin beta_test' \
    '[  PASSED  ] 1 test.' \
    'granule-vm: beta_test exit 0' \
    'granule-vm: done 2' \
    '[    3.56] reboot: Power down'
}

# Runs the summary of log "$1" for binaries "$2" (timed_out "$3"); leaves its
# output in $out and its exit status in $status.
summarize() {
  printf '%s' "$1" >"$work/console.log"
  out=$(awk -v machine=ppc64le-64k -v page_size=65536 -v binaries="$2" \
    -v timed_out="${3:-0}" -v seconds=3.1 -f "$summarize" "$work/console.log")
  status=$?
}

expect_line() {  # $1: case name, $2: a line the output must hold exactly
  grep -qxF -- "$2" <<<"$out" || fail "$1: no line '$2' in:"$'\n'"$out"
}

expect_status() {  # $1: case name, $2: expected exit status
  [ "$status" = "$2" ] || fail "$1: exit status $status, expected $2; output:"$'\n'"$out"
}

result() {  # The result line for binary $1 with exit $2 and counts $3 $4 $5.
  echo "granule-vm-result machine=ppc64le-64k kernel=6.1.0-50-powerpc64le" \
    "page_size=65536 binary=$1 exit=$2 passed=$3 failed=$4 skipped=$5"
}

summarize "$(good_log)" "alpha_test beta_test"
expect_status good 0
expect_line good "$(result alpha_test 0 4 - -)"
expect_line good "$(result beta_test 0 1 - -)"
expect_line good "granule-vm-summary machine=ppc64le-64k kernel=6.1.0-50-powerpc64le page_size=65536 probes=ok binaries=2 reported=2 status=pass seconds=3.1"

# The kernel's page size is the whole point: 4 KiB pages prove nothing.
summarize "$(good_log | sed 's/getpagesize=65536/getpagesize=4096/')" "alpha_test beta_test"
expect_status small-page 1
expect_line small-page "$(result alpha_test 0 4 - - | sed 's/page_size=65536/page_size=4096/')"

summarize "$(good_log | sed 's/at_pagesz=65536/at_pagesz=4096/')" "alpha_test beta_test"
expect_status small-auxv-page 1

# A kernel that lets mprotect through 4 KiB into a page does not enforce it.
summarize "$(good_log | sed 's/mprotect-at-4k-offset EINVAL/mprotect-at-4k-offset ok/')" \
  "alpha_test beta_test"
expect_status probe-accepted 1
expect_line probe-accepted "granule-vm-summary machine=ppc64le-64k kernel=6.1.0-50-powerpc64le page_size=65536 probes=bad binaries=2 reported=2 status=fail seconds=3.1"

summarize "$(good_log | grep -v map-fixed)" "alpha_test beta_test"
expect_status probe-missing 1

# A binary the VM never reported fails the run, even if all others passed.
summarize "$(good_log)" "alpha_test beta_test gamma_test"
expect_status missing-binary 1
expect_line missing-binary "$(result gamma_test missing - - -)"

summarize "$(good_log | sed 's/beta_test exit 0/beta_test signal 11/')" "alpha_test beta_test"
expect_status signal 1
expect_line signal "$(result beta_test signal-11 1 - -)"

summarize "$(good_log | sed 's/beta_test exit 0/beta_test exec-failed ENOENT/')" \
  "alpha_test beta_test"
expect_status exec-failed 1
expect_line exec-failed "$(result beta_test exec-failed-ENOENT 1 - -)"

failing_log=$(good_log | sed 's/^\[  PASSED  \] 4 tests\./[  PASSED  ] 3 tests.\r\n[  SKIPPED ] 2 tests, listed below:\r\n[  FAILED  ] 1 test, listed below:/; s/alpha_test exit 0/alpha_test exit 1/')
summarize "$failing_log" "alpha_test beta_test"
expect_status gtest-failure 1
expect_line gtest-failure "$(result alpha_test 1 3 1 2)"

# Stopped by the runner while beta_test ran: it is the one named.
summarize "$(good_log | sed '/beta_test exit/,$d')" "alpha_test beta_test" 1
expect_status timeout 1
expect_line timeout "$(result beta_test timeout 1 - -)"
expect_line timeout "TIMEOUT after 3.1 s while running beta_test"
expect_line timeout "granule-vm-summary machine=ppc64le-64k kernel=6.1.0-50-powerpc64le page_size=65536 probes=ok binaries=2 reported=1 status=timeout seconds=3.1"

# The VM ended (a panic, say) before /init finished: not a pass either.
summarize "$(good_log | grep -v 'granule-vm: done')" "alpha_test beta_test"
expect_status no-done 1

# gtest counts after a binary's end belong to no binary.
summarize "$(good_log | sed 's/^granule-vm: done 2/[  PASSED  ] 9 tests.\r\n&/')" \
  "alpha_test beta_test"
expect_status stray-counts 0
expect_line stray-counts "$(result beta_test 0 1 - -)"

summarize "" ""
expect_status empty-log 1

[ "$failures" = 0 ] && echo "PASS" || echo "$failures failures"
exit $((failures > 0))
