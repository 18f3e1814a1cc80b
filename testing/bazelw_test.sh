#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ./bazelw's install logic, run against stand-ins for dpkg-query, id, sudo,
# apt-get and bazel on a PATH that holds nothing else.
set -u
bazelw="${TEST_SRCDIR}/${TEST_WORKSPACE}/bazelw"
work="${TEST_TMPDIR}/bazelw"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A fresh PATH: the real tools bazelw needs, plus the stand-ins of a case.
make_bin() {
  rm -rf "$work" && mkdir -p "$work/bin" "$work/repo"
  cp "$bazelw" "$work/repo/bazelw"
  # Installed packages are listed in $work/installed, one a line.
  cat >"$work/bin/dpkg-query" <<'STUB'
#!/bin/bash
grep -qx "${@: -1}" "$STATE/installed" 2>/dev/null && printf 'install ok installed'
exit 0
STUB
  cat >"$work/bin/id" <<'STUB'
#!/bin/bash
echo "$FAKE_UID"
STUB
  cat >"$work/bin/apt-get" <<'STUB'
#!/bin/bash
echo "apt-get $*" >>"$STATE/calls"
if [ "$1" = install ]; then
  for a in "$@"; do case "$a" in -*|install) ;; *) echo "$a" >>"$STATE/installed";; esac; done
fi
STUB
  cat >"$work/bin/bazel" <<'STUB'
#!/bin/bash
echo "bazel $*" >>"$STATE/calls"
STUB
  chmod +x "$work/bin/"*
  mkdir -p "$work/repo/third_party"
  printf '#!/bin/bash\necho fetch_abseil_source >>"$STATE/calls"\n' \
    >"$work/repo/third_party/fetch_abseil_source.sh"
  chmod +x "$work/repo/third_party/fetch_abseil_source.sh"
  # Linked after the chmod: chmod follows links, and the system's binaries
  # are not this user's to change unless the user is root.
  for tool in dirname grep cat; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
}
# run_bazelw UID [BAZEL ARGS...]; the arguments default to `test //...`.
run_bazelw() {
  local uid="$1"
  shift
  (($#)) || set -- test //...
  STATE="$work" PATH="$work/bin" FAKE_UID="$uid" /bin/bash "$work/repo/bazelw" "$@" \
    >"$work/out" 2>&1
}
build_packages=(bazel-bootstrap g++ libabsl-dev googletest libbenchmark-dev
  nlohmann-json3-dev)
test_packages=(guile-2.2-libs guile-3.0-libs binutils pkg-config elfutils
  libxml2-utils guile-3.0 python3 strace)

# build, test and coverage build the release library, which links Abseil
# from Debian's source: dpkg-dev unpacks it, before bazel runs.
fetched_then() { printf 'fetch_abseil_source\nbazel %s' "$*"; }

# Everything installed: no apt-get; Abseil's source, then bazel with the
# arguments.
make_bin
printf '%s\n' "${build_packages[@]}" "${test_packages[@]}" dpkg-dev >"$work/installed"
run_bazelw 0 || fail "all installed: exit $?"
[ "$(cat "$work/calls")" = "$(fetched_then test //...)" ] || fail "all installed: calls $(cat "$work/calls")"

# `run` of the command needs no Abseil source; `run` of the install does.
make_bin
printf '%s\n' "${build_packages[@]}" >"$work/installed"
run_bazelw 0 run //:granule -- demo || fail "run demo: exit $?: $(cat "$work/out")"
[ "$(cat "$work/calls")" = "bazel run //:granule -- demo" ] || fail "run demo: calls $(cat "$work/calls")"
make_bin
printf '%s\n' "${build_packages[@]}" dpkg-dev >"$work/installed"
run_bazelw 0 run //capi:install -- --prefix=/tmp/x || fail "run install: exit $?: $(cat "$work/out")"
[ "$(cat "$work/calls")" = "$(fetched_then run //capi:install -- --prefix=/tmp/x)" ] ||
  fail "run install: calls $(cat "$work/calls")"

# Root with two packages missing: update, install exactly those, then bazel.
make_bin
printf '%s\n' bazel-bootstrap g++ googletest nlohmann-json3-dev "${test_packages[@]}" \
  dpkg-dev >"$work/installed"
run_bazelw 0 || fail "root install: exit $?: $(cat "$work/out")"
grep -q "^apt-get install .* libabsl-dev libbenchmark-dev$" "$work/calls" \
  || fail "root install: calls $(cat "$work/calls")"
[ "$(tail -1 "$work/calls")" = "bazel test //..." ] || fail "root install: bazel not last"

# `build` needs only the build packages: the test corpus is not installed.
make_bin
printf '%s\n' "${build_packages[@]}" dpkg-dev >"$work/installed"
run_bazelw 0 build //... || fail "build: exit $?: $(cat "$work/out")"
[ "$(cat "$work/calls")" = "$(fetched_then build //...)" ] || fail "build: calls $(cat "$work/calls")"

# `test` and `coverage`, even after a startup option, install the Guile
# corpus and readelf (and dpkg-dev), and only those.
for args in "test //loader:all" "coverage //..." "--batch test //..."; do
  make_bin
  printf '%s\n' "${build_packages[@]}" >"$work/installed"
  # shellcheck disable=SC2086  # Split the case into arguments on purpose.
  run_bazelw 0 $args || fail "$args: exit $?: $(cat "$work/out")"
  grep -qx "apt-get install -y -q --no-install-recommends ${test_packages[*]} dpkg-dev" "$work/calls" \
    || fail "$args: calls $(cat "$work/calls")"
  [ "$(tail -1 "$work/calls")" = "bazel $args" ] || fail "$args: bazel not last"
done

# A cross configuration, in either spelling, installs its compiler and
# emulator plus dpkg-dev, unpacks Abseil's source, then runs bazel.
for args in "test --config=s390x //platform/..." "build --config mingw64 //loader"; do
  make_bin
  printf '%s\n' "${build_packages[@]}" "${test_packages[@]}" >"$work/installed"
  # shellcheck disable=SC2086  # Split the case into arguments on purpose.
  run_bazelw 0 $args || fail "$args: exit $?: $(cat "$work/out")"
  case "$args" in
    *s390x*) wanted="g++-s390x-linux-gnu qemu-user dpkg-dev" ;;
    *) wanted="g++-mingw-w64-x86-64-posix wine64 dpkg-dev" ;;
  esac
  grep -qx "apt-get install -y -q --no-install-recommends $wanted" "$work/calls" \
    || fail "$args: calls $(cat "$work/calls")"
  [ "$(tail -2 "$work/calls" | head -1)" = fetch_abseil_source ] \
    || fail "$args: no Abseil source before bazel: $(cat "$work/calls")"
  [ "$(tail -1 "$work/calls")" = "bazel $args" ] || fail "$args: bazel not last"
done

# A sanitizer configuration installs clang, its runtimes and llvm's
# symbolizer (reports name functions).
make_bin
printf '%s\n' "${build_packages[@]}" "${test_packages[@]}" dpkg-dev >"$work/installed"
run_bazelw 0 test --config=asan //... || fail "asan: exit $?: $(cat "$work/out")"
grep -qx "apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev llvm-14" "$work/calls" \
  || fail "asan: calls $(cat "$work/calls")"
[ "$(tail -1 "$work/calls")" = "bazel test --config=asan //..." ] || fail "asan: bazel not last"

# --config=fuzz on a build installs clang, its runtimes (libFuzzer) and the
# Guile packages the seeds come from, though `build` alone would not.
make_bin
printf '%s\n' "${build_packages[@]}" >"$work/installed"
run_bazelw 0 build --config=fuzz //testing/fuzz:all || fail "fuzz: exit $?: $(cat "$work/out")"
grep -qx "apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev guile-2.2-libs guile-3.0-libs dpkg-dev" \
  "$work/calls" || fail "fuzz: calls $(cat "$work/calls")"
[ "$(tail -1 "$work/calls")" = "bazel build --config=fuzz //testing/fuzz:all" ] || fail "fuzz: bazel not last"

# Not root and no sudo: a clear message, exit 1, nothing run.
make_bin
: >"$work/installed"
run_bazelw 1000; code=$?
[ "$code" = 1 ] || fail "no sudo: exit $code"
grep -q "not root and no sudo" "$work/out" || fail "no sudo: message $(cat "$work/out")"
grep -q "apt-get install bazel-bootstrap g++" "$work/out" || fail "no sudo: no command shown"
[ ! -e "$work/calls" ] || fail "no sudo: ran $(cat "$work/calls")"

# Not root, with sudo: the install goes through sudo.
make_bin
: >"$work/installed"
cat >"$work/bin/sudo" <<'STUB'
#!/bin/bash
echo "sudo $1" >>"$STATE/calls"
exec "$@"
STUB
chmod +x "$work/bin/sudo"
run_bazelw 1000 || fail "sudo: exit $?: $(cat "$work/out")"
grep -q "^sudo apt-get" "$work/calls" || fail "sudo: calls $(cat "$work/calls")"

# A package that will not install: named, exit 1, bazel never runs.
make_bin
: >"$work/installed"
cat >"$work/bin/apt-get" <<'STUB'
#!/bin/bash
echo "apt-get $*" >>"$STATE/calls"
STUB
chmod +x "$work/bin/apt-get"
run_bazelw 0; code=$?
[ "$code" = 1 ] || fail "install fails: exit $code"
grep -q "could not install bazel-bootstrap" "$work/out" || fail "install fails: $(cat "$work/out")"
grep -q "^bazel" "$work/calls" && fail "install fails: bazel ran"

[ "$failures" = 0 ] && echo "bazelw: all checks passed"
exit "$failures"
