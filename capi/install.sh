#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs granule for C programs: lib/libgranule.so (SONAME libgranule.so.0),
# include/granule.h, bin/granule and lib/pkgconfig/granule.pc.
# Usage: ./bazelw run //capi:install -- [--prefix=DIR]   (default /usr/local)
set -euo pipefail

prefix=/usr/local
for arg in "$@"; do
  case "$arg" in
    --prefix=*) prefix="${arg#--prefix=}" ;;
    -h | --help) sed -n '3,5s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install: unknown argument '$arg' (expected --prefix=DIR)" >&2; exit 2 ;;
  esac
done
if [ -z "$prefix" ]; then
  echo "install: --prefix is empty" >&2
  exit 2
fi
# `bazel run` starts in the runfiles tree: a relative prefix means the
# directory the command was typed in.
case "$prefix" in
  /*) ;;
  *) prefix="${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix" ;;
esac

# The files: beside this script under `bazel run`, or in a test's runfiles.
if [ -d "$0.runfiles/granule" ]; then
  files="$0.runfiles/granule"
elif [ -n "${RUNFILES_DIR:-}" ] && [ -d "$RUNFILES_DIR/granule" ]; then
  files="$RUNFILES_DIR/granule"
elif [ -n "${TEST_SRCDIR:-}" ] && [ -d "$TEST_SRCDIR/granule" ]; then
  files="$TEST_SRCDIR/granule"
else
  echo "install: cannot find the built files (run it with ./bazelw run //capi:install)" >&2
  exit 1
fi

# The version is written once, in granule.h.
version_part() {
  sed -n "s/^#define GRANULE_VERSION_$1 \\([0-9][0-9]*\\)$/\\1/p" "$files/capi/granule.h"
}
major=$(version_part MAJOR) minor=$(version_part MINOR) patch=$(version_part PATCH)
if [ -z "$major" ] || [ -z "$minor" ] || [ -z "$patch" ]; then
  echo "install: no GRANULE_VERSION_MAJOR/MINOR/PATCH in $files/capi/granule.h" >&2
  exit 1
fi
readonly version="$major.$minor.$patch"

libdir="$prefix/lib"
install -d "$libdir/pkgconfig" "$prefix/include" "$prefix/bin"
# Both were built -c opt (release.bzl); symbols a debugger would want are
# stripped, the library keeping those its users link against.
install -m 0755 "$files/capi/libgranule.so" "$libdir/libgranule.so.$version"
strip --strip-unneeded "$libdir/libgranule.so.$version"
ln -sfn "libgranule.so.$version" "$libdir/libgranule.so.$major"
ln -sfn "libgranule.so.$major" "$libdir/libgranule.so"
install -m 0644 "$files/capi/granule.h" "$prefix/include/granule.h"
install -m 0755 "$files/cli/granule" "$prefix/bin/granule"
strip "$prefix/bin/granule"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" \
  "$files/capi/granule.pc.in" >"$libdir/pkgconfig/granule.pc"
chmod 0644 "$libdir/pkgconfig/granule.pc"

# The dynamic linker's cache must learn of a library in one of its
# directories (/usr/local/lib on Debian); elsewhere programs need
# LD_LIBRARY_PATH (or -Wl,-rpath) to find it.
if grep -qsxF "$libdir" /etc/ld.so.conf /etc/ld.so.conf.d/*.conf; then
  if [ "$(id -u)" -eq 0 ]; then
    ldconfig
  else
    echo "install: run ldconfig as root so programs find $libdir/libgranule.so.$major" >&2
  fi
else
  echo "install: $libdir is not in the dynamic linker's path: run programs with LD_LIBRARY_PATH=$libdir" >&2
fi
echo "install: granule $version installed into $prefix" >&2
