#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Debian's own ppc64el Guile on granule, on the real 64 KiB-page ppc64el
# kernel that testing/vm boots: the machine the 64 KiB rule was made for.
#
# Usage: testing/guile/vm_run.sh [--log=FILE]
#
# Builds the preload for ppc64el as a shared library (--config=
# ppc64le_dynamic: Debian's cross compiler, Abseil linked in) and the static
# check vm_guile.c (--config=ppc64le), fetches bookworm's ppc64el guile-3.0
# and guile-3.0-libs with what they depend on (testing/vm/fetch_root.sh),
# and boots the VM with those files in its initramfs. Inside, vm_guile runs
# workload.scm plain, on granule's shared path and on its malloc path:
# 8 of Guile's own modules compiled (byte-identical .go files), the
# image-table task and load-all over the 331 .go files; it passes only when
# the granule runs agree with plain Guile, loaded every image by their path
# and refused none. Not part of testing/matrix.sh: the emulated POWER9
# takes a minute or more, and many on a loaded machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
log_args=()
for arg in "$@"; do
  case "$arg" in
    --log=*) log_args=("$arg") ;;
    *) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

cd "$repo"
./bazelw build --config=ppc64le_dynamic //testing/guile:granule_preload.so >&2
preload=$(./bazelw info --config=ppc64le_dynamic bazel-bin 2>/dev/null)/testing/guile/granule_preload.so
./bazelw build --config=ppc64le //testing/guile:vm_guile >&2
check=$(./bazelw info --config=ppc64le bazel-bin 2>/dev/null)/testing/guile/vm_guile
root=$(testing/vm/fetch_root.sh --machine=ppc64le-64k guile-3.0 guile-3.0-libs)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/granule" "$stage/lib64"
cp "$preload" "$here/workload.scm" "$stage/granule/"
# The root's /lib64/ld64.so.2 links to an absolute path, which the host
# would resolve: the dynamic linker itself goes in.
cp "$root/lib/powerpc64le-linux-gnu/ld64.so.2" "$stage/lib64/"
ccache=/usr/lib/powerpc64le-linux-gnu/guile/3.0/ccache
(cd "$root$ccache" && find . -name '*.go' | sort | sed "s|^\.|$ccache|") >"$stage/granule/go.list"
[ -s "$stage/granule/go.list" ] || { echo "vm_run: no .go files in $root$ccache" >&2; exit 1; }
# Modules to compile, as run.sh chooses them: more than 2 KiB, smallest first.
sources=/usr/share/guile/3.0
(cd "$root$sources" && find . -name '*.scm' -size +2k -printf '%s %p\n') |
  LC_ALL=C sort -n -k1,1 -k2 | cut -d' ' -f2- | sed "s|^\.|$sources|" >"$stage/granule/candidates.list"
echo "vm_run: $(wc -l <"$stage/granule/go.list") .go files, the preload $(stat -c %s "$preload") bytes" >&2

testing/vm/run_tests.sh --machine=ppc64le-64k --memory=2G --timeout=1800 \
  "${log_args[@]}" \
  --data="$stage/granule=/granule" --data="$root/lib=/lib" --data="$stage/lib64=/lib64" \
  --data="$root/usr/lib=/usr/lib" --data="$root/usr/share/guile=/usr/share/guile" \
  "$check"
