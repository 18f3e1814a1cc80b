#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tries the README's two commands as a newcomer would: in a fresh Debian
# bookworm root (debootstrap minbase) that has none of granule's packages.
# Usage (as root): testing/fresh_debian.sh
# Then the native suite as a user who is not root (testing/host_variants.sh).
# Prints each command's exit status and the time it took; exits non-zero if
# any failed. Takes about half an hour (debootstrap, apt, cold builds for
# every platform of the matrix).
# The root is made anew each run and removed afterwards; KEEP_ROOT=1 keeps it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mirror=${MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
root=$(mktemp -d /tmp/granule-fresh.XXXXXX)

logs=${TMPDIR:-/tmp}/granule-fresh-logs
cleanup() {
  # The commands' logs outlive the root.
  mkdir -p "$logs" && cp "$root"/src/*.log "$logs/" 2>/dev/null && echo "logs kept in $logs"
  # host_variants.sh's own logs (one per variant) are inside the root.
  cp -r "$root"/tmp/granule-host-variants "$logs/" 2>/dev/null || true
  # Bazel leaves a server running in the chroot; stop it before unmounting.
  if [ -x "$root/usr/bin/bazel" ] && [ -d "$root/src/granule" ]; then
    chroot "$root" /bin/bash -c "cd /src/granule && bazel shutdown" >/dev/null 2>&1 || true
  fi
  for m in proc sys dev; do umount -R "$root/$m" 2>/dev/null || true; done
  if [ "${KEEP_ROOT:-0}" = 1 ]; then
    echo "kept the root at $root"
  elif findmnt -rn -o TARGET | grep -q "^$root/"; then
    # Never remove a tree that still has the host's /dev or /sys under it.
    echo "left $root in place: something is still mounted under it" >&2
  else
    rm -rf "$root"
  fi
}
trap cleanup EXIT

debootstrap --variant=minbase bookworm "$root" "$mirror"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/src"
git -C "$top" archive --format=tar --prefix=granule/ HEAD | tar -x -C "$root/src"

run() {
  local start=$SECONDS status=0
  chroot "$root" /bin/bash -c "cd /src/granule && $1" >"$root/src/$2.log" 2>&1 || status=$?
  echo "$1: exit $status in $((SECONDS - start)) s"
  tail -5 "$root/src/$2.log"
  return "$status"
}
# The demo first: it must work with only the build's packages installed.
test_status=0 demo_status=0
run "./bazelw run //:granule -- demo" demo || demo_status=$?
run "testing/matrix.sh" test || test_status=$?
# The native suite again as a user who is not root.
variant_status=0
run "testing/host_variants.sh --variants=non-root" non-root || variant_status=$?
exit $((test_status || demo_status || variant_status))
