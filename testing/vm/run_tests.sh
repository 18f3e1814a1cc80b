#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs static test binaries on a real kernel with large pages, under
# full-system QEMU, and says what passed.
# Usage: testing/vm/run_tests.sh --machine=ppc64le-64k|arm64-16k
#          [--timeout=SECONDS] [--log=FILE] [--console] [--test-arg=ARG]...
#          [--data=HOST_DIR=VM_DIR]... [--memory=SIZE] [BINARY...]
#   --machine   ppc64le-64k: Debian bookworm ppc64el kernel, 64 KiB pages;
#               arm64-16k: Debian trixie arm64-16k kernel, 16 KiB pages.
#   --timeout   stop the VM after this long (default 600 s) and say so.
#   --log       where the console goes (default: a new file under /tmp).
#   --console   also copy the console to stderr as it runs.
#   --test-arg  an argument given to every binary (repeatable), e.g.
#               --test-arg=--gtest_brief=1.
#   --data      copy the host folder HOST_DIR into the VM at VM_DIR (an
#               absolute path; repeatable), for tests that read fixed paths.
#   --memory    the VM's memory (default 1G). The initramfs is held twice
#               while the kernel unpacks it: give twice its size and more.
# Each BINARY must be a static executable for the machine; it runs as
# /tests/<its file name> with TEST_TMPDIR=/tmp/<name>, HOME=/tmp. With no
# binary the VM only reports its page size and the page-size probes.
# Prints the summary of summarize.awk; exits 0 only if the kernel has the
# machine's page size and refuses mprotect and MAP_FIXED 4 KiB into a page,
# and every binary ran and exited 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=machines.sh
source "$here/machines.sh"

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

machine_name='' timeout_seconds=600 log='' show_console=0 memory=1G
test_args=() binaries=() data_dirs=()
for arg in "$@"; do
  case "$arg" in
    --machine=*) machine_name=${arg#--machine=} ;;
    --timeout=*) timeout_seconds=${arg#--timeout=} ;;
    --log=*) log=${arg#--log=} ;;
    --console) show_console=1 ;;
    --test-arg=*) test_args+=("${arg#--test-arg=}") ;;
    --data=*) data_dirs+=("${arg#--data=}") ;;
    --memory=*) memory=${arg#--memory=} ;;
    -h | --help) usage ;;
    -*) echo "run_tests.sh: unknown option '$arg'" >&2; usage ;;
    *) binaries+=("$arg") ;;
  esac
done
[ -n "$machine_name" ] || { echo "run_tests.sh: --machine=... is required" >&2; usage; }
select_machine "$machine_name"
# init.c's kMaxTestArgs.
[ ${#test_args[@]} -le 64 ] || { echo "run_tests.sh: more than 64 --test-arg" >&2; exit 2; }
[[ $timeout_seconds =~ ^[1-9][0-9]*$ ]] ||
  { echo "run_tests.sh: --timeout=$timeout_seconds: expected whole seconds" >&2; exit 2; }

install_missing "$machine_qemu" "$machine_qemu_package" cpio cpio \
  readelf binutils timeout coreutils \
  "$machine_cross_gcc" "$machine_cross_gcc_package" \
  "$machine_static_libc" "$machine_static_libc_package"

# A wrong binary would fail inside the VM with a bare ENOENT or ENOEXEC: say
# here what is wrong with it instead.
check_binary() {
  local path=$1 header
  [ -f "$path" ] || { echo "$path: no such file" >&2; return 1; }
  header=$(readelf -h "$path" 2>/dev/null) || { echo "$path: not an ELF file" >&2; return 1; }
  if ! grep -q "Machine: *$machine_elf_name\$" <<<"$header"; then
    echo "$path: built for $(sed -n 's/^ *Machine: *//p' <<<"$header"), not $machine_elf_name ($machine)" >&2
    return 1
  fi
  if readelf -l "$path" | grep -q 'program interpreter'; then
    echo "$path: dynamically linked; the VM has no libraries: link it with -static" >&2
    return 1
  fi
}

names=()
for binary in "${binaries[@]}"; do
  check_binary "$binary"
  name=$(basename "$binary")
  [[ $name =~ ^[A-Za-z0-9._+-]+$ ]] ||
    { echo "$binary: name '$name' has characters the summary cannot carry" >&2; exit 2; }
  for seen in "${names[@]}"; do
    [ "$seen" != "$name" ] || { echo "$binary: two binaries named $name" >&2; exit 2; }
  done
  names+=("$name")
done

kernel=$("$here/fetch_kernel.sh" --machine="$machine")

# /init is rebuilt only when its source, flags or compiler change.
init_flags=(-static -O2 -Wall -Wextra -Werror)
init_key=$( (cat "$here/init.c"; echo "${init_flags[*]}"; "$machine_cross_gcc" --version | head -1) |
  sha256sum | cut -c1-16)
init=$(vm_cache_dir)/vm-init/$machine/init-$init_key
if [ ! -x "$init" ]; then
  mkdir -p "$(dirname "$init")"
  "$machine_cross_gcc" "${init_flags[@]}" -o "$init.tmp.$$" "$here/init.c"
  mv "$init.tmp.$$" "$init"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/granule-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/tests"
cp "$init" "$work/root/init"
for binary in "${binaries[@]}"; do cp "$binary" "$work/root/tests/"; done
for data in "${data_dirs[@]}"; do
  host_dir=${data%%=*} vm_dir=${data#*=}
  if [ "$host_dir" = "$data" ] || [[ $vm_dir != /* ]] || [ ! -d "$host_dir" ]; then
    echo "run_tests.sh: --data=$data: expected an existing HOST_DIR=/absolute/VM_DIR" >&2
    exit 2
  fi
  mkdir -p "$work/root$vm_dir"
  # -L: links to outside the folder would be dangling in the VM. Times kept:
  # a program may compare them (Guile loads a compiled file only when it is
  # not older than its source).
  cp -RL --preserve=timestamps "$host_dir/." "$work/root$vm_dir/"
done
for test_arg in "${test_args[@]}"; do printf '%s\n' "$test_arg"; done >"$work/root/granule-vm.args"
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort |
  cpio -o -H newc -R 0:0 --quiet) >"$work/initramfs.cpio"

[ -n "$log" ] || log=$(mktemp "${TMPDIR:-/tmp}/granule-vm-$machine.XXXXXX.log")
echo "booting $machine ($(basename "$kernel"), ${#names[@]} binaries," \
  "initramfs $(($(stat -c %s "$work/initramfs.cpio") / 1024)) KiB); console: $log" >&2
start=$(date +%s.%N)
set +e
timeout -k 5 "$timeout_seconds" "$machine_qemu" "${machine_qemu_args[@]}" -m "$memory" \
  -kernel "$kernel" -initrd "$work/initramfs.cpio" \
  -append "console=$machine_console panic=-1 quiet" </dev/null 2>&1 |
  if [ "$show_console" = 1 ]; then tee "$log" >&2; else cat >"$log"; fi
qemu_status=${PIPESTATUS[0]}
set -e
seconds=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
# timeout(1) says 124 when TERM stopped QEMU, 137 when it took KILL.
timed_out=0
[ "$qemu_status" != 124 ] && [ "$qemu_status" != 137 ] || timed_out=1
if [ "$timed_out" = 0 ] && [ "$qemu_status" != 0 ]; then
  echo "$machine_qemu exited with status $qemu_status (see $log)" >&2
fi

summary_status=0
awk -v machine="$machine" -v page_size="$machine_page_size" \
  -v binaries="${names[*]}" -v timed_out="$timed_out" -v seconds="$seconds" \
  -f "$here/summarize.awk" "$log" || summary_status=$?
echo "console log: $log"
[ "$qemu_status" = 0 ] || [ "$timed_out" = 1 ] || summary_status=1
exit "$summary_status"
