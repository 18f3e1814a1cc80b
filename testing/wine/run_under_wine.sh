#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a Windows test program under Wine, for `bazel test --config=mingw64`
# (.bazelrc passes this as --run_under). Usage: run_under_wine.sh PROGRAM [ARG...]
#
# - Headless: no display, no Wine debug output, no Mono or Gecko install
#   prompts (their DLLs are disabled; no test needs .NET or HTML).
# - One Wine prefix, made on first use and reused, under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/granule/wine (about 700 MB; ~10 s to make).
# - The wineserver: Bazel ends whatever a test leaves running, so a
#   wineserver a test starts (even with wineserver -p) ends with that test,
#   under any other test still using it. Hence .bazelrc runs these tests one
#   at a time. A wineserver started before, outside Bazel
#   (WINEPREFIX=<prefix> /usr/lib/wine/wineserver -p), is shared instead and
#   saves about a second a test; this script keeps one for 5 minutes when run
#   by hand.
# - Bazel's absolute paths in the environment (TEST_TMPDIR, XML_OUTPUT_FILE,
#   runfiles, ...) become Windows paths on Wine's Z: drive, which is /.
# - Exits with the program's exit status.
# - Programs that are not Windows executables (sh_test scripts) run natively.
set -euo pipefail

die() {
  echo "run_under_wine: $*" >&2
  exit 1
}

(($# >= 1)) || die "usage: run_under_wine.sh PROGRAM [ARG...]"

# Not a Windows program (an sh_test's script, say): it runs on this machine
# as it would without --config=mingw64. Handed to Wine it would exit 0
# having run nothing.
if [[ "$(head -c 2 "$1" 2>/dev/null)" != "MZ" ]]; then
  exec "$@"
fi

wine=""
for candidate in /usr/lib/wine/wine64 "$(command -v wine64 2>/dev/null || true)"; do
  if [[ -n "$candidate" && -x "$candidate" ]]; then
    wine="$candidate"
    break
  fi
done
[[ -n "$wine" ]] || die "wine64 not found (Debian package wine64; ./bazelw --config=mingw64 installs it)"
wineserver="$(dirname "$(readlink -f "$wine")")/wineserver"
[[ -x "$wineserver" ]] || wineserver="$(command -v wineserver || true)"
[[ -x "$wineserver" ]] || die "wineserver not found next to $wine"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/granule/wine"
mkdir -p "$cache" || die "cannot create the Wine cache folder $cache"
export WINEPREFIX="$cache/prefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
unset DISPLAY WAYLAND_DISPLAY

# The first test makes the prefix while any others wait. Then a persistent
# server: one already running is used (the new one just exits).
(
  flock 9
  if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
    echo "run_under_wine: making the Wine prefix $WINEPREFIX" >&2
    "$wine" wineboot --init >/dev/null 2>&1 ||
      die "wineboot --init failed for $WINEPREFIX"
    "$wineserver" --wait
  fi
  "$wineserver" --persistent=300 >/dev/null 2>&1 || true
) 9>"$cache/lock"

# /a/b -> Z:\a\b
windows_path() {
  local path="${1//\//\\}"
  printf 'Z:%s' "$path"
}

for name in TEST_TMPDIR GTEST_TMP_DIR XML_OUTPUT_FILE TEST_SRCDIR RUNFILES_DIR \
  RUNFILES_MANIFEST_FILE JAVA_RUNFILES PYTHON_RUNFILES TEST_UNDECLARED_OUTPUTS_DIR \
  TEST_UNDECLARED_OUTPUTS_ANNOTATIONS_DIR TEST_PREMATURE_EXIT_FILE \
  TEST_WARNINGS_OUTPUT_FILE TEST_INFRASTRUCTURE_FAILURE_FILE \
  TEST_SHARD_STATUS_FILE TEST_LOGSPLITTER_OUTPUT_FILE \
  TEST_UNUSED_RUNFILES_LOG_FILE; do
  value="${!name-}"
  if [[ "$value" == /* ]]; then
    export "$name=$(windows_path "$value")"
  fi
done

exec "$wine" "$@"
