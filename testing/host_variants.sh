#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the native suite (./bazelw test //...) on this machine under host
# settings the tests must not assume: transparent huge pages "always" and
# "never" (where the sysfs knob is writable; restored afterwards), and as a
# user who is not root (a copy of the tree owned by that user). Prints one
# line per variant and exits non-zero if any failed.
# Usage (as root): testing/host_variants.sh [--variants=thp-always,thp-never,non-root]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
variants=thp-always,thp-never,non-root
for arg in "$@"; do
  case "$arg" in
    --variants=*) variants=${arg#--variants=} ;;
    *) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "host_variants: run as root (it changes sysfs and adds a user)" >&2; exit 2; }
logs=${TMPDIR:-/tmp}/granule-host-variants
mkdir -p "$logs"
thp=/sys/kernel/mm/transparent_hugepage/enabled
failures=0

# Summarises one suite run's log: Bazel's closing "Executed" line.
report() {
  local name=$1 status=$2 log=$3
  echo "$name: exit $status; $(grep -E '^Executed|tests? pass|FAILED' "$log" | tail -1)"
  if [ "$status" != 0 ]; then
    failures=$((failures + 1))
    # The log may hold no test summary at all (the run never reached Bazel).
    tail -n 15 "$log" | sed 's/^/  | /'
  fi
}

run_with_thp() {
  local mode=$1 previous status log="$logs/thp-$1.log"
  if [ ! -w "$thp" ]; then
    echo "thp-$mode: not run: $thp is missing or not writable here"
    return
  fi
  previous=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$thp")
  echo "$mode" >"$thp" || { echo "thp-$mode: not run: the kernel refused '$mode'"; return; }
  (cd "$top" && ./bazelw test //... --cache_test_results=no) >"$log" 2>&1
  status=$?
  echo "$previous" >"$thp"
  report "thp-$mode (was $previous)" "$status" "$log"
}

# A user's own copy of the tree: Bazel writes into its workspace and output
# base, both of which must be the user's.
run_as_non_root() {
  local user=granule-test status log="$logs/non-root.log" home
  id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  home=$(getent passwd "$user" | cut -d: -f6)
  rm -rf "$home/granule" && mkdir -p "$home/granule"
  tar -C "$top" --exclude='./bazel-*' --exclude=./.git \
    --exclude='./third_party/abseil-source*' -cf - . | tar -x -C "$home/granule"
  chown -R "$user:" "$home/granule"
  # The packages are installed as root first, so the user needs no sudo.
  (cd "$top" && ./bazelw test --nobuild //capi:capi_test) >/dev/null 2>&1
  su - "$user" -c "cd ~/granule && ./bazelw test //..." >"$log" 2>&1
  status=$?
  report "non-root ($user, uid $(id -u "$user"))" "$status" "$log"
}

IFS=, read -r -a chosen <<<"$variants"
for variant in "${chosen[@]}"; do
  case "$variant" in
    thp-always) run_with_thp always ;;
    thp-never) run_with_thp never ;;
    non-root) run_as_non_root ;;
    *) echo "host_variants: unknown variant '$variant'" >&2; exit 2 ;;
  esac
done
echo "logs in $logs"
exit $((failures > 0))
