#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Unpacks Debian's Abseil source into third_party/abseil-source, for builds
# that cannot use libabsl-dev's amd64 shared libraries: the cross
# architectures and Windows (see ../shared/notes/build-facts.md and
# third_party/README.md). The source is the same Debian version as the host's
# libabsl-dev, with Debian's patches applied (dpkg-source -x), so every build
# of granule uses one Abseil.
#
# apt runs with a private configuration (its own sources list with a deb-src
# entry, state and cache under the user's cache folder): the host's apt setup
# is left untouched. Downloads come from Debian's archive only.
set -euo pipefail
cd "$(dirname "$0")"
destination="$PWD/abseil-source"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/granule/abseil-apt"

version=$(dpkg-query -W -f='${source:Version}' libabsl-dev 2>/dev/null || true)
if [ -n "$version" ] && [ "$(cat "$destination/.debian-version" 2>/dev/null)" = "$version" ]; then
  exit 0
fi

mkdir -p "$cache/state/lists/partial" "$cache/cache/archives/partial" "$cache/download"
cat >"$cache/sources.list" <<'LIST'
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
LIST
apt_options=(
  -o "Dir::Etc::SourceList=$cache/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State=$cache/state"
  -o "Dir::Cache=$cache/cache"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
echo "fetch_abseil_source: fetching Debian's abseil source ${version:-(newest)}" >&2
apt-get "${apt_options[@]}" -q update >&2 ||
  echo "fetch_abseil_source: apt-get update reported errors; trying anyway" >&2
(
  cd "$cache/download"
  rm -rf ./*
  apt-get "${apt_options[@]}" -q source --download-only "abseil${version:+=$version}" >&2
)
dsc=$(ls "$cache"/download/*.dsc)
rm -rf "$destination.partial"
# --no-copy: the original tarball stays in the cache, not next to the tree.
dpkg-source --no-check --no-copy -x "$dsc" "$destination.partial" >&2
[ -n "$version" ] || version=$(sed -n 's/^Version: //p' "$dsc")
# Bazel reads the tree through abseil.BUILD, one package: upstream's own BUILD
# files would split it into packages the glob cannot see into.
find "$destination.partial" \( -name BUILD.bazel -o -name BUILD -o -name WORKSPACE \) -delete
echo "$version" >"$destination.partial/.debian-version"
rm -rf "$destination"
mv "$destination.partial" "$destination"
