#!/usr/bin/env bash
# Tries the README's two commands as a newcomer would: in a fresh Debian
# bookworm root (debootstrap minbase) that has none of granule's packages.
# Usage (as root): testing/fresh_debian.sh [ROOT_DIR]
# Prints each command's exit status and the time it took; exits non-zero if
# either failed. Takes a few minutes (debootstrap, apt, a cold Bazel build).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/tmp/granule-fresh-root}
mirror=${MIRROR:-http://deb.debian.org/debian}

command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
if [ ! -x "$root/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase bookworm "$root" "$mirror"
fi

mounts=(proc sys dev)
cleanup() {
  for m in "${mounts[@]}"; do umount -l "$root/$m" 2>/dev/null || true; done
}
trap cleanup EXIT
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"

rm -rf "$root/src/granule"
mkdir -p "$root/src"
git -C "$top" archive --format=tar --prefix=granule/ HEAD | tar -x -C "$root/src"

run() {
  local start=$SECONDS
  chroot "$root" /bin/bash -c "cd /src/granule && $1" >"$root/src/$2.log" 2>&1
  local status=$?
  echo "$1: exit $status in $((SECONDS - start)) s (log: $root/src/$2.log)"
  tail -5 "$root/src/$2.log"
  return $status
}
set +e
run "./bazelw test //..." test; test_status=$?
run "./bazelw run //:granule -- demo" demo; demo_status=$?
exit $((test_status || demo_status))
