#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs granule's tests on every platform it supports and prints one table:
# where they ran, the page size, granularity, byte order and word size the
# tests really saw there (measured by //testing:host_facts, not taken from the
# configuration's name), and how many test cases passed and failed.
#
# Usage: testing/matrix.sh [--rows=NAME,...]   (default: every row)
# Rows:
#   x86_64    every test (//...), natively: the README's suite
#   asan      every test again, built by clang with AddressSanitizer and
#             UndefinedBehaviorSanitizer (--config=asan)
#   tsan      the tests where threads matter (registry, loader, backends,
#             fault injection), under ThreadSanitizer (--config=tsan, Abseil
#             built from source and instrumented)
#   aarch64   platform and loader suites under qemu-user
#   s390x     the same, big-endian, under qemu-user
#   i686      the same, 32-bit: natively on the x86_64 kernel where it runs
#             a static 32-bit program, else under qemu-i386 (the table says
#             which; some paravirtualized guests have no 32-bit user mode)
#   ppc64le   the same on Debian's ppc64el kernel with 64 KiB pages, under
#             qemu-system-ppc64 (testing/vm)
#   arm64     the same on Debian's arm64 16 KiB-page kernel, under
#             qemu-system-aarch64 (testing/vm)
#   windows   the same, built with mingw-w64, under Wine
#   macos, cygwin   the simulated machines' cases of //loader:foreign_machine_test
#   guile     Debian's unmodified Guile 3.0 on granule (x86_64):
#             //testing/guile:guile_test runs one workload plain, on the
#             shared path and on the malloc path and compares them; the
#             preload's counts (images loaded, by which path) follow the table
#   fuzz      testing/fuzz.sh --seconds=20: each libFuzzer target (reader,
#             validator, loader) 20 s, clang ASan+UBSan; in this row
#             "targets" counts fuzz targets, "cases" fuzz executions and
#             "failed" findings, and it passes only with zero findings
# Every tool is installed by ./bazelw and testing/vm when missing. Exits 0
# only if every row ran and passed.
set -uo pipefail
cd "$(dirname "$0")/.."

all_rows=x86_64,asan,tsan,aarch64,s390x,i686,ppc64le,arm64,windows,macos,cygwin,guile,fuzz
rows=$all_rows
for arg in "$@"; do
  case "$arg" in
    --rows=*) rows=${arg#--rows=} ;;
    *) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# What the tsan row tests: the targets that run threads or keep shared state.
tsan_targets=(//loader:registry_stress_test //loader:loaded_image_test
  //loader:fault_injection_test //platform/memory:simulated_backend_test
  //platform/memory:backend_conformance_test //testing:fault_injecting_backend_test
  //capi:capi_registry_test //capi:capi_signal_test)
# What the cross rows test: the platform and loader suites and the fault probe.
suites=(//platform/... //loader/... //testing:fault_probe_test
  //testing:fault_injecting_backend_test)
# The C API's tests that Windows runs too: loading from a descriptor (its
# own per-OS code), a window, memory, whole files, batches and lookups.
windows_capi_tests=(//capi:capi_test //capi:capi_sources_test
  //capi:capi_whole_file_test //capi:capi_memory_test
  //capi:capi_registry_test //capi:granule_batch_test)
table=()
notes=()
failures=0
targets_passed=0 targets_failed=0

# Runs //testing:host_facts the way the tests run and echoes its fields.
host_facts() {
  ./bazelw run "$@" //testing:host_facts 2>"$work/facts.err" |
    sed -n 's/^granule-host-facts: //p'
}

# fact NAME FACTS: one field of a host_facts line.
fact() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

kib() { [[ $1 =~ ^[0-9]+$ ]] && echo "$(($1 / 1024))K" || echo "?"; }

# add_row TARGET RUN_ON FACTS TARGETS PASSED FAILED SKIPPED SECONDS STATUS
add_row() {
  local facts=$3 geometry
  geometry="$(kib "$(fact page_size "$facts")")/$(kib "$(fact allocation_granularity "$facts")")"
  table+=("$(printf '%-10s %-36s %-8s %-7s %-5s %-9s %7s %7s %8s %6s  %s' \
    "$1" "$2" "$geometry" "$(fact byte_order "$facts")" "$(fact bits "$facts")" \
    "$(fact backend "$facts")" "$4" "$5" "$6" "$7" "$8 $9")")
  [ "$9" = pass ] || failures=$((failures + 1))
}

# Sums gtest's XML reports (Bazel writes one per test target; for a shell test
# Bazel's own report counts the target as one case): total, failed, skipped.
sum_reports() {
  awk '
    /<testsuites / {
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^tests="/) { gsub(/[^0-9]/, "", $i); total += $i }
        if ($i ~ /^failures="/ || $i ~ /^errors="/) { gsub(/[^0-9]/, "", $i); failed += $i }
      }
    }
    /<skipped/ { skipped++ }
    END { print total + 0, failed + 0, skipped + 0 }' "$@" /dev/null
}

# bazel_row NAME RUN_ON [BAZEL OPTIONS...] -- PATTERNS...
bazel_row() {
  local name=$1 run_on=$2 options=() start=${row_start:-$SECONDS} facts log=$work/$1.log
  shift 2
  while [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  echo "matrix: $name: ${options[*]} $*" >&2
  facts=$(host_facts "${options[@]}")
  [ -n "$facts" ] || { echo "matrix: $name: host_facts did not run:" >&2; tail -5 "$work/facts.err" >&2; }
  ./bazelw test "${options[@]}" --keep_going "$@" >"$log" 2>&1
  local status=$?
  local testlogs reports=() target
  testlogs=$(./bazelw info "${options[@]}" bazel-testlogs 2>/dev/null)
  while read -r target; do
    target=${target#//}
    reports+=("$testlogs/${target/://}/test.xml")
  done < <(grep -oE '^//[^ ]+ +(\(cached\) )?PASSED' "$log" | awk '{print $1}')
  local ran failed_targets
  ran=$(grep -cE '^//[^ ]+ +(\(cached\) )?(PASSED|FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|SKIPPED)' "$log")
  failed_targets=$(grep -E '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD)' "$log")
  read -r total failed skipped < <(sum_reports "${reports[@]}")
  # Bazel's own per-target lines, for the log.
  grep -E '^//[^ ]+ +(\(cached\) )?(PASSED|FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|SKIPPED)' "$log" |
    sed "s/^/$name: /" >&2
  targets_passed=$((targets_passed + ${#reports[@]}))
  targets_failed=$((targets_failed + $(grep -c . <<<"$failed_targets")))
  local result=pass
  if [ "$status" != 0 ] || [ -n "$failed_targets" ] || [ -z "$facts" ]; then
    result=fail
    echo "matrix: $name failed (bazel exit $status):" >&2
    grep -E 'FAILED|TIMEOUT|NO STATUS|ERROR' "$log" | head -20 >&2
  fi
  add_row "$name" "$run_on" "$facts" "${#reports[@]}/$ran" "$total" "$failed" "$skipped" \
    "$((SECONDS - start))s" "$result"
  cp "$log" "$work/last-$name.log"
}

# The VM rows run every platform and loader test that needs no tool of the
# host's: readelf, strace (under which load_passes runs) and Debian's Guile
# files are not in the virtual machine.
vm_tests() {
  local universe="//platform/... + //loader/... + //testing:fault_probe_test + //testing:fault_injecting_backend_test"
  local host_only="//testing:readelf + //testing:guile_corpus + //testing:load_passes"
  ./bazelw query "tests($universe) except rdeps($universe, $host_only)" \
    2>/dev/null | sort
}

# i686_row: asks the kernel whether it runs a static 32-bit program (the
# i686 build of host_facts) before choosing how to run the row. The kernel's
# config cannot tell: IA32_EMULATION=y guests were seen to refuse them.
i686_row() {
  local row_start=$SECONDS bin status=0
  ./bazelw build --config=i686 //testing:host_facts >"$work/i686-probe.log" 2>&1 &&
    bin=$(./bazelw info --config=i686 bazel-bin 2>/dev/null) || status=$?
  if [ "$status" = 0 ]; then
    "$bin/testing/host_facts" >>"$work/i686-probe.log" 2>&1 || status=$?
  fi
  # 126: the kernel refused to execute it (ENOEXEC); a build error or any
  # other failure is the row's own and shows in it.
  if [ "$status" = 126 ]; then
    echo "matrix: i686: this kernel does not run 32-bit programs natively:" >&2
    tail -2 "$work/i686-probe.log" >&2
    bazel_row i686 "qemu-i386: no native 32-bit here" --config=i686_qemu -- "${suites[@]}"
  else
    bazel_row i686 "native 32-bit on x86_64 kernel" --config=i686 -- "${suites[@]}"
  fi
}

# vm_row NAME RUN_ON MACHINE CONFIG: builds the tests statically for CONFIG and
# runs them on MACHINE's real kernel (testing/vm/run_tests.sh).
vm_row() {
  local name=$1 run_on=$2 machine=$3 config=$4 start=$SECONDS log=$work/$1.log
  local targets binaries=() bin target
  echo "matrix: $name: $config on $machine" >&2
  mapfile -t targets < <(vm_tests)
  if ! ./bazelw build "$config" //testing:host_facts "${targets[@]}" >"$log" 2>&1; then
    echo "matrix: $name: build failed:" >&2; grep -E 'ERROR|error:' "$log" | head -20 >&2
    add_row "$name" "$run_on" "" "0/${#targets[@]}" - - - "$((SECONDS - start))s" fail
    return
  fi
  bin=$(./bazelw info "$config" bazel-bin 2>/dev/null)
  binaries=("$bin/testing/host_facts")
  for target in "${targets[@]}"; do
    target=${target#//}
    binaries+=("$bin/${target/://}")
  done
  testing/vm/run_tests.sh --machine="$machine" --log="$work/$name.console" \
    "${binaries[@]}" >"$work/$name.summary" 2>&1
  local status=$? facts
  facts=$(sed -n 's/.*granule-host-facts: //p' "$work/$name.console" | tr -d '\r' | head -1)
  read -r reported total failed skipped < <(awk '
    /^granule-vm-result / && !/binary=host_facts / {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (f["exit"] != "missing") reported++
      total += f["passed"] + f["failed"] + f["skipped"]; failed += f["failed"]; skipped += f["skipped"]
    }
    END { print reported + 0, total + 0, failed + 0, skipped + 0 }' "$work/$name.summary")
  grep '^granule-vm-result ' "$work/$name.summary" | sed "s/^/$name: /" >&2
  local vm_passed
  vm_passed=$(grep '^granule-vm-result ' "$work/$name.summary" | grep -v ' binary=host_facts ' |
    grep -c ' exit=0 ')
  targets_passed=$((targets_passed + vm_passed))
  targets_failed=$((targets_failed + ${#targets[@]} - vm_passed))
  local result=pass
  if [ "$status" != 0 ] || [ -z "$facts" ]; then
    result=fail
    echo "matrix: $name failed:" >&2; cat "$work/$name.summary" >&2
  fi
  add_row "$name" "$run_on" "$facts" "$reported/${#targets[@]}" "$total" "$failed" "$skipped" \
    "$((SECONDS - start))s" "$result"
}

# sim_row NAME RUN_ON MACHINE PATTERN: the cases of //loader:foreign_machine_test
# whose parameter names match PATTERN (cached when the x86_64 row ran it).
sim_row() {
  local name=$1 run_on=$2 machine=$3 pattern=$4 facts report
  facts=$(./bazelw run //testing:host_facts -- --simulated="$machine" 2>/dev/null |
    sed -n 's/^granule-host-facts: //p')
  ./bazelw test //loader:foreign_machine_test >"$work/$name.log" 2>&1
  report="$(./bazelw info bazel-testlogs 2>/dev/null)/loader/foreign_machine_test/test.xml"
  read -r total failed < <(awk -v pattern="$pattern" '
    /<testcase / && $0 ~ ("name=\"[^\"]*/" pattern) {
      total++; open = ($0 !~ /\/>[[:space:]]*$/)
      if (open) pending = 1
      next
    }
    pending && /<failure/ { failed++; pending = 0 }
    /<\/testcase>/ { pending = 0 }
    END { print total + 0, failed + 0 }' "$report")
  local result=pass
  [ "$total" -gt 0 ] && [ "$failed" = 0 ] || result=fail
  add_row "$name" "$run_on" "$facts" "1/1" "$total" "$failed" 0 0s "$result"
}

# windows_row: the Windows tests under Wine with one wineserver kept alive for
# the whole row. The wrapper's own server lingers 5 minutes after its last
# client; when it expired during a long build, the next test programs hung
# at start-up until a new server settled (seen here: five timeouts in a row).
windows_row() {
  local prefix="${XDG_CACHE_HOME:-$HOME/.cache}/granule/wine/prefix"
  local wineserver=/usr/lib/wine/wineserver
  local row_start=$SECONDS  # The row's time includes this build.
  ./bazelw build --config=mingw64 "${suites[@]}" "${windows_capi_tests[@]}" >"$work/windows-build.log" 2>&1
  # host_facts runs first under the wrapper, which makes the prefix.
  host_facts --config=mingw64 >/dev/null
  # Its server would expire: replace it by one that stays until killed.
  WINEPREFIX=$prefix "$wineserver" --kill >/dev/null 2>&1
  WINEPREFIX=$prefix "$wineserver" --wait >/dev/null 2>&1
  WINEPREFIX=$prefix "$wineserver" --persistent
  bazel_row windows "Wine (wine64), mingw-w64 build" --config=mingw64 -- \
    "${suites[@]}" "${windows_capi_tests[@]}"
  WINEPREFIX=$prefix "$wineserver" --kill >/dev/null 2>&1
}

# guile_row: the three-way comparison under Bazel (cached when the x86_64
# row ran it), its summary lines, the preload's counts among them, kept for
# after the table.
guile_row() {
  bazel_row guile "Debian guile-3.0 under LD_PRELOAD" -- //testing/guile:guile_test
  local log
  log="$(./bazelw info bazel-testlogs 2>/dev/null)/testing/guile/guile_test/test.log"
  mapfile -t -O "${#notes[@]}" notes < <(grep -h '^guile-granule: ' "$log" 2>/dev/null)
  grep -q '^guile-granule: PASS$' "$log" 2>/dev/null ||
    notes+=("guile-granule: no PASS line in $log")
}

# fuzz_row: a short libFuzzer run of every target (testing/fuzz.sh), its
# build included; findings are copied to testing/fuzz/regressions/.
fuzz_row() {
  local start=$SECONDS facts summary targets executions findings result=pass
  echo "matrix: fuzz: testing/fuzz.sh --seconds=20" >&2
  facts=$(host_facts)
  testing/fuzz.sh --seconds=20 >"$work/fuzz.out" 2>"$work/fuzz.err"
  local status=$?
  sed 's/^/fuzz: /' "$work/fuzz.out" >&2
  summary=$(grep '^fuzz: targets=' "$work/fuzz.out" | tail -1)
  targets=$(sed -n 's/.*targets=\([0-9]*\).*/\1/p' <<<"$summary")
  executions=$(sed -n 's/.*executions=\([0-9]*\).*/\1/p' <<<"$summary")
  findings=$(sed -n 's/.*findings=\([0-9]*\).*/\1/p' <<<"$summary")
  if [ "$status" != 0 ] || [ "${findings:-1}" != 0 ] || [ "${targets:-0}" = 0 ] || [ -z "$facts" ]; then
    result=fail
    echo "matrix: fuzz failed (exit $status):" >&2; tail -20 "$work/fuzz.err" >&2
  fi
  add_row fuzz "native, libFuzzer, clang ASan+UBSan" "$facts" "${targets:-0}/3" \
    "${executions:-0}" "${findings:--}" 0 "$((SECONDS - start))s" "$result"
}

printf -v header '%-10s %-36s %-8s %-7s %-5s %-9s %7s %7s %8s %6s  %s' \
  target "run on" page/gran order bits backend targets cases failed skip "time result"
IFS=, read -ra chosen <<<"$rows"
for row in "${chosen[@]}"; do
  case "$row" in
    x86_64) bazel_row x86_64 "native (this machine)" -- //... ;;
    asan) bazel_row asan "native, clang ASan+UBSan" --config=asan -- //... ;;
    tsan) bazel_row tsan "native, clang ThreadSanitizer" --config=tsan -- "${tsan_targets[@]}" ;;
    aarch64) bazel_row aarch64 "qemu-user (qemu-aarch64)" --config=aarch64 -- "${suites[@]}" ;;
    s390x) bazel_row s390x "qemu-user (qemu-s390x)" --config=s390x -- "${suites[@]}" ;;
    i686) i686_row ;;
    windows) windows_row ;;
    ppc64le) vm_row ppc64le "Debian ppc64el kernel, qemu-system" ppc64le-64k --config=ppc64le ;;
    macos) sim_row macos "simulated (foreign_machine_test)" macos-arm64 macos_ ;;
    cygwin) sim_row cygwin "simulated (foreign_machine_test)" cygwin-win32 cygwin_ ;;
    guile) guile_row ;;
    fuzz) fuzz_row ;;
    arm64) vm_row arm64 "Debian arm64-16k kernel, qemu-system" arm64-16k --config=aarch64 ;;
    *) echo "matrix: unknown row '$row' (rows: $all_rows)" >&2; exit 2 ;;
  esac
done

echo
echo "$header"
printf '%s\n' "${table[@]}"
((${#notes[@]} == 0)) || printf '%s\n' "${notes[@]}"
cat <<'LEGEND'
page/gran, order, bits, backend: what //testing:host_facts measured where the
  tests ran (for macos and cygwin: the simulated machine's units).
targets: test targets that passed / test targets selected. Left out by design:
  page_state_test under qemu-user (it does not translate /proc/self/pagemap),
  so on i686 too where that row runs under qemu-i386;
  in the VMs and on Windows the targets that run readelf or read Debian's
  Guile files (Bazel lists those SKIPPED on Windows).
cases: gtest cases run (a shell test counts as one); skip: cases that do not
  apply there (GTEST_SKIP, e.g. ELF32 pointers on a 64-bit host).
fuzz: targets are fuzz targets, cases are libFuzzer executions, failed are
  findings (crashes, leaks, timeouts, ledger checks).
guile: the guile-granule lines after the table are the comparison's summary,
  with the preload's counts (images loaded by each path, refused) summed over
  the Guile processes of each granule run.
LEGEND
echo "test targets: $targets_passed passed, $targets_failed failed (over the rows that run Bazel tests or VM binaries)"
echo "matrix: ${#table[@]} rows, $failures failed"
[ "$failures" = 0 ]
