#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches the Debian kernel of a test machine and caches it; prints the path
# of the kernel image on stdout.
# Usage: testing/vm/fetch_kernel.sh --machine=ppc64le-64k|arm64-16k [--refresh]
#
# The kernel comes from deb.debian.org through a private apt configuration
# (its own sources list, state and cache folders, one foreign architecture):
# the host's apt setup is never touched, no dpkg --add-architecture. The
# versioned package is found through the meta-package, so a new Debian kernel
# is picked up on --refresh. Without --refresh a cached kernel is used as is
# and no network is needed.
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/granule/kernels/<machine>/<package>/
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=machines.sh
source "$here/machines.sh"

refresh=0
machine_name=
for arg in "$@"; do
  case "$arg" in
    --machine=*) machine_name=${arg#--machine=} ;;
    --refresh) refresh=1 ;;
    *) echo "fetch_kernel.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done
[ -n "$machine_name" ] || { echo "fetch_kernel.sh: --machine=... is required" >&2; exit 2; }
select_machine "$machine_name"

kernels=$(vm_cache_dir)/kernels/$machine
current=$kernels/current  # A symlink to the versioned folder in use.
if [ "$refresh" = 0 ] && [ -e "$current/image" ]; then
  readlink -f "$current/image"
  exit 0
fi

install_missing apt-get apt dpkg-deb dpkg flock util-linux \
  /usr/share/keyrings/debian-archive-keyring.gpg debian-archive-keyring
mkdir -p "$kernels"
# Two runs starting cold at once would fetch into the same folders.
exec 9>"$kernels/.lock"
flock 9
if [ "$refresh" = 0 ] && [ -e "$current/image" ]; then
  readlink -f "$current/image"
  exit 0
fi

machine_apt

echo "fetch_kernel: updating the $machine_suite $machine_deb_arch index" >&2
apt-get "${apt_options[@]}" -q update >&2
package=$(apt-cache "${apt_options[@]}" depends "$machine_kernel_meta" |
  awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
if [ -z "$package" ]; then
  echo "fetch_kernel: $machine_kernel_meta ($machine_suite $machine_deb_arch)" \
    "depends on no linux-image-* package" >&2
  exit 1
fi

target=$kernels/$package
if [ ! -e "$target/image" ]; then
  work=$(mktemp -d "$kernels/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "fetch_kernel: downloading $package" >&2
  (cd "$work" && apt-get "${apt_options[@]}" -q download "$package" >&2)
  deb=$(echo "$work"/*.deb)
  echo "fetch_kernel: $(basename "$deb"): $(stat -c %s "$deb") bytes" >&2
  # Only /boot: the modules are most of the package and /init needs none.
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards "./boot/*"
  image=$(compgen -G "$work/$machine_kernel_glob" | head -1 || true)
  config=$(compgen -G "$work/boot/config-*" | head -1 || true)
  if [ -z "$image" ] || [ -z "$config" ]; then
    echo "fetch_kernel: $package holds no $machine_kernel_glob or boot/config-*" >&2
    exit 1
  fi
  # A kernel with another page size would make every run prove nothing.
  if ! grep -qx "$machine_page_config" "$config"; then
    echo "fetch_kernel: $package: $(basename "$config") lacks $machine_page_config" >&2
    exit 1
  fi
  mkdir -p "$work/keep"
  mv "$image" "$work/keep/$(basename "$image")"
  mv "$config" "$work/keep/$(basename "$config")"
  ln -s "$(basename "$image")" "$work/keep/image"
  echo "${package#linux-image-}" >"$work/keep/release"
  apt-cache "${apt_options[@]}" show "$package" |
    awk '$1 == "Version:" { print $2; exit }' >"$work/keep/debian-version"
  rm -rf "$target"
  mv "$work/keep" "$target"
fi
ln -sfn "$package" "$current.new"
mv -T "$current.new" "$current"
# Older kernels are not used again: keep the cache to one per machine.
for old in "$kernels"/linux-image-*; do
  [ "$old" = "$target" ] || rm -rf "$old"
done
readlink -f "$current/image"
