#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The table in docs/elf-survey.md: for each directory, how many ELF
# executables and shared libraries `granule check` finds, and per page size
# how many map whole, segment by segment (every segment, or with some pages
# copied) and only by copy. Reads files only; downloads nothing.
#
# Usage: testing/elf_survey.sh [--page-size=16k,64k] [--granule=PATH] DIR...
# Default DIRs: /usr/lib/x86_64-linux-gnu /usr/bin, and Debian's aarch64 and
# ppc64el libraries where the matrix's cross packages installed them.
set -eu
page_sizes=16k,64k
granule=""
dirs=()
for arg in "$@"; do
  case "$arg" in
    --page-size=*) page_sizes=${arg#*=} ;;
    --granule=*) granule=${arg#*=} ;;
    -*) echo "elf_survey: unknown flag $arg" >&2; exit 2 ;;
    *) dirs+=("$arg") ;;
  esac
done
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "$granule" ]; then
  (cd "$here" && ./bazelw build //cli:granule >&2)
  granule="$here/bazel-bin/cli/granule"
fi
if [ "${#dirs[@]}" = 0 ]; then
  dirs=(/usr/lib/x86_64-linux-gnu /usr/bin)
  for d in /usr/aarch64-linux-gnu/lib /usr/powerpc64le-linux-gnu/lib; do
    [ -d "$d" ] && dirs+=("$d")
  done
fi

echo "Measured $(date -u +%Y-%m-%d) on $(. /etc/os-release && echo "$PRETTY_NAME"),"
echo "\`granule check --json --page-size=$page_sizes DIR\` per directory"
echo "(\`testing/elf_survey.sh\`). Per page size: whole / per segment, every"
echo "segment mapped / per segment, some pages copied / only by copy."
echo
for dir in "${dirs[@]}"; do
  # Exit 3 (some segment copied) and 1 (an unreadable file) still report.
  "$granule" check --json --page-size="$page_sizes" "$dir" 2>/dev/null || true
done | python3 "$here/testing/elf_survey_table.py" "${dirs[@]}"
