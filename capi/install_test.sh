#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# //capi:install into a temporary prefix, then what a C runtime's build does
# outside Bazel: compile example/vm_image.c with pkg-config alone, run it.
set -euo pipefail

files="$TEST_SRCDIR/granule"
work="$TEST_TMPDIR/install_test"
prefix="$work/prefix"
rm -rf "$work"
mkdir -p "$work"

fail() { echo "install_test: $*" >&2; exit 1; }
expect_count() {  # expect_count N PATTERN FILE: N lines match PATTERN.
  local found
  found=$(grep -cE -- "$2" "$3" || true)
  [ "$found" -eq "$1" ] || fail "expected $1 lines matching '$2' in $3, found $found:
$(cat "$3")"
}

"$files/capi/install" --prefix="$prefix" 2>"$work/install.err" ||
  fail "install failed: $(cat "$work/install.err")"
# The version comes from granule.h alone.
version_part() {
  sed -n "s/^#define GRANULE_VERSION_$1 \\([0-9][0-9]*\\)$/\\1/p" "$files/capi/granule.h"
}
major=$(version_part MAJOR)
version="$major.$(version_part MINOR).$(version_part PATCH)"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no version in granule.h: '$version'"
for f in include/granule.h bin/granule "lib/libgranule.so.$version" \
  lib/pkgconfig/granule.pc; do
  [ -f "$prefix/$f" ] || fail "not installed: $prefix/$f"
done
[ "$(readlink "$prefix/lib/libgranule.so")" = "libgranule.so.$major" ] ||
  fail "lib/libgranule.so does not link to libgranule.so.$major"
[ "$(readlink "$prefix/lib/libgranule.so.$major")" = "libgranule.so.$version" ] ||
  fail "lib/libgranule.so.$major does not link to libgranule.so.$version"
# A release install is stripped: no symbol table, no debug sections.
for f in "lib/libgranule.so.$version" bin/granule; do
  readelf -S -W "$prefix/$f" >"$work/sections.txt"
  expect_count 0 ' \.symtab | \.debug_' "$work/sections.txt"
done
"$prefix/bin/granule" --version >"$work/version.txt" 2>&1 ||
  fail "granule --version failed: $(cat "$work/version.txt")"
expect_count 1 "^granule $version\$" "$work/version.txt"

# The library: its SONAME, and nothing exported but the C API.
readelf -d "$prefix/lib/libgranule.so.0" >"$work/dynamic.txt"
expect_count 1 "SONAME.*\\[libgranule\\.so\\.$major\\]" "$work/dynamic.txt"
# It carries Abseil and libstdc++ inside: a C program loads one library
# (libc, libm and the dynamic linker, which every program has already).
grep -E '\(NEEDED\)' "$work/dynamic.txt" | grep -vE '\[((libc|libm)\.so\.6|ld-linux[^]]*)\]' >"$work/needed.txt" || true
expect_count 0 . "$work/needed.txt"
expect_count 1 'NEEDED.*\[libc\.so\.6\]' "$work/dynamic.txt"
nm -D --defined-only "$prefix/lib/libgranule.so.0" |
  awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | sed 's/@.*//' >"$work/exports.txt"
grep -q '^granule_load$' "$work/exports.txt" || fail "granule_load not exported"
if grep -v '^granule_' "$work/exports.txt" | grep -vE '^GRANULE_0(\.[0-9]+)?$' >"$work/extra.txt"; then
  fail "exports besides granule_*: $(head "$work/extra.txt")"
fi
# Symbol versions: the calls of 0.4 and before in GRANULE_0, each later one
# in the node of the version that added it.
objdump -T "$prefix/lib/libgranule.so.0" >"$work/versions.txt"
expect_count 1 ' GRANULE_0 +granule_load$' "$work/versions.txt"
expect_count 1 ' GRANULE_0\.5 +granule_arena_new$' "$work/versions.txt"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs granule) || fail "pkg-config cannot find granule"
flags="${flags% }"  # pkg-config ends the line with a space.
[ "$flags" = "-I$prefix/include -L$prefix/lib -lgranule" ] ||
  fail "pkg-config gave '$flags'"
[ "$(pkg-config --modversion granule)" = "$version" ] ||
  fail "pkg-config --modversion gave '$(pkg-config --modversion granule)', granule.h says $version"

cp "$files/capi/example/vm_image.c" "$work/"
cd "$work"
# shellcheck disable=SC2086  # The flags are words.
cc -std=c99 -Wall -Wextra -Wpedantic -Werror vm_image.c $flags -o vm_image ||
  fail "vm_image.c does not compile against the installed library"
readelf -d vm_image >"$work/example_dynamic.txt"
expect_count 1 "NEEDED.*\\[libgranule\\.so\\.$major\\]" "$work/example_dynamic.txt"
expect_count 0 'NEEDED.*libabsl' "$work/example_dynamic.txt"

LD_LIBRARY_PATH="$prefix/lib" ./vm_image "$work/vm.go" >"$work/out.txt" 2>&1 ||
  fail "vm_image failed: $(cat "$work/out.txt")"
cat "$work/out.txt"
expect_count 1 '^wrote .*/vm\.go$' "$work/out.txt"
expect_count 1 '^  path: shared \(.*divides every p_align' "$work/out.txt"
expect_count 1 '^  path: malloc \(requested by the caller\)$' "$work/out.txt"
expect_count 2 '^  segment 0: vaddr 0x000000 .* R  \(file R\)$' "$work/out.txt"
expect_count 2 '^  segment 1: vaddr 0x010000 .* R  \(file RX\)$' "$work/out.txt"
expect_count 2 '^  segment 2: vaddr 0x020000 .* RW \(file RW\)$' "$work/out.txt"
expect_count 2 '^  globals: "hello" "granule" "world"' "$work/out.txt"
expect_count 2 '^  entry point: .text at image offset 0x10000, found by address$' "$work/out.txt"
expect_count 1 '^vm_image: ok$' "$work/out.txt"

# The installed command reads what the C program wrote.
"$prefix/bin/granule" check "$work/vm.go" >"$work/check.txt" 2>&1 ||
  fail "granule check failed: $(cat "$work/check.txt")"
echo "install_test: passed"
