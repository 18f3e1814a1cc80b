#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches Debian packages of a test machine's architecture, with everything
# they depend on, unpacks them into one folder (a root for the VM's
# initramfs, through run_tests.sh --data) and prints its path on stdout.
# Usage: testing/vm/fetch_root.sh --machine=ppc64le-64k|arm64-16k PACKAGE...
#
# The packages come from deb.debian.org through the machine's private apt
# configuration (machines.sh, machine_apt). Nothing is installed or
# configured: each package's files are unpacked (dpkg-deb -x), no
# maintainer script runs. A root made before for the same packages is used
# as is, without network.
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/granule/roots/<machine>/<list hash>/
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=machines.sh
source "$here/machines.sh"

machine_name="" packages=()
for arg in "$@"; do
  case "$arg" in
    --machine=*) machine_name=${arg#--machine=} ;;
    -*) echo "fetch_root.sh: unknown argument '$arg'" >&2; exit 2 ;;
    *) packages+=("$arg") ;;
  esac
done
[ -n "$machine_name" ] || { echo "fetch_root.sh: --machine=... is required" >&2; exit 2; }
((${#packages[@]})) || { echo "fetch_root.sh: name at least one package" >&2; exit 2; }
select_machine "$machine_name"

key=$(printf '%s\n' "${packages[@]}" | sort -u | sha256sum | cut -c1-16)
roots=$(vm_cache_dir)/roots/$machine
root=$roots/$key
if [ -e "$root/.complete" ]; then
  echo "$root"
  exit 0
fi

install_missing apt-get apt dpkg-deb dpkg flock util-linux \
  /usr/share/keyrings/debian-archive-keyring.gpg debian-archive-keyring
mkdir -p "$roots"
exec 9>"$roots/.lock"
flock 9
if [ -e "$root/.complete" ]; then
  echo "$root"
  exit 0
fi

machine_apt
echo "fetch_root: updating the $machine_suite $machine_deb_arch index" >&2
apt-get "${apt_options[@]}" -q update >&2
# Depends and Pre-Depends, recursively; virtual packages (<name>) are
# provided by a real one the closure already holds.
mapfile -t closure < <(apt-cache "${apt_options[@]}" depends --recurse \
  --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
  --no-enhances "${packages[@]}" | grep -E '^[a-z0-9]' | sort -u)
work=$(mktemp -d "$roots/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch_root: downloading ${#closure[@]} packages for ${packages[*]}" >&2
(cd "$work" && apt-get "${apt_options[@]}" -q download "${closure[@]}" >&2)
mkdir -p "$work/root"
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done
printf '%s\n' "${closure[@]}" >"$work/root/.packages"
touch "$work/root/.complete"
rm -rf "$root"
mv "$work/root" "$root"
echo "$root"
