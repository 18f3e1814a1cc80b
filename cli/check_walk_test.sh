#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `granule check DIR`: a directory holding a granule image, a copy of a
# system executable, a text file, symbolic links (one a loop), a named pipe,
# a subdirectory and, when the test is not root, an unreadable file. Each of
# check's exit codes, the totals, and the --json report of the walk.
set -u
here="$(dirname "$0")"
granule="$here/granule"
[ -x "$granule" ] || granule="${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/granule"
sample="$here/testdata/sample.image"
[ -f "$sample" ] || sample="${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/testdata/sample.image"
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/walk.XXXXXX")"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() {
  out=$(timeout 60 "$granule" "$@" 2>"$scratch/stderr"); code=$?
  err=$(cat "$scratch/stderr")
}
expect_code() {  # WANT DESCRIPTION
  [ "$code" = "$1" ] || fail "$2 exited $code, want $1; stdout: $out; stderr: $err"
}
expect_in() {  # TEXT NEEDLE DESCRIPTION
  grep -qF -- "$2" <<<"$1" || fail "$3 lacks '$2': $1"
}

# The system's own executable, asked of the system, not assumed.
system_elf=$(readlink -f "$(type -P true)")  # The file, not the builtin.
[ -f "$system_elf" ] || { echo "FAIL: no executable 'true' found"; exit 1; }
page=$(getconf PAGESIZE)

dir="$scratch/tree"
mkdir -p "$dir/sub"
run link "$sample" -o "$dir/image.go"
expect_code 0 "link of the sample"
cp "$system_elf" "$dir/sub/true"
echo "not an ELF file" >"$dir/notes.txt"
ln -s image.go "$dir/link-to-image"
ln -s .. "$dir/sub/loop"  # A walk that followed it would never end.
mkfifo "$dir/pipe"        # Opening it would block.

# Every segment of the image maps on 4 KiB pages and on the test machine's
# page; a 4 KiB-aligned system executable on 4 KiB pages.
run check --page-size=4k "$dir"
expect_code 0 "check --page-size=4k of the tree"
expect_in "$out" "checked 2 files: 2 (file, page size) pairs mapped whole, 0 per segment, 0 by copy, 0 invalid" "the totals"
expect_in "$out" "skipped in 2 directories: 1 not ELF, 0 other ELF (objects, core files), 2 symbolic links, 1 special files" "the skipped files"
expect_in "$out" "$dir/image.go: 4k whole" "the image's line"
expect_in "$out" "$dir/sub/true: 4k whole; granule would not load it" "the executable's line"
expect_in "$out" "granule itself would load 1 of 2" "the loader's totals"
grep -q "notes.txt\|pipe\|link-to-image\|loop" <<<"$out$err" \
  && fail "skipped files were reported: $out $err"

# On 64 KiB pages the 4 KiB-aligned executable has segments sharing pages.
run check --page-size=64k "$dir"
expect_code 3 "check --page-size=64k of the tree"
expect_in "$out" "$dir/image.go: 64k whole" "the image's line on 64k"
grep -q "^$dir/sub/true: 64k \(copy\|per segment\) \[phdr [0-9]* R.* \(copied\|partly\): " <<<"$out" \
  || fail "the executable's 64k line names no copied segment: $out"

# The same tree with --json: every judged file, the skipped ones counted.
run check --json --page-size=4k,64k "$dir"
expect_code 3 "check --json of the tree"
python3 - "$out" "$dir" <<'PY' || fail "check --json of the tree: $out"
import json, sys
report, tree = json.loads(sys.argv[1]), sys.argv[2]
assert report["exit_code"] == 3, report["exit_code"]
files = {f["file"]: f for f in report["files"]}
assert sorted(files) == [tree + "/image.go", tree + "/sub/true"], sorted(files)
image, true = files[tree + "/image.go"], files[tree + "/sub/true"]
assert [v["route"] for v in image["verdicts"]] == ["shared", "shared"], image
assert image["loader"]["loads"] is True, image["loader"]
assert true["loader"]["loads"] is False and true["loader"]["reason"], true
on64 = true["verdicts"][1]
assert on64["route"] in ("copy", "per-segment") and not on64["every_segment_mapped"]
assert any(s["route"] != "mapped" and s["why"] for s in on64["segment_routes"])
summary = report["summary"]
assert summary["skipped"] == {"not_elf": 1, "other_elf": 0, "symbolic_links": 2,
                              "special_files": 1}, summary["skipped"]
assert summary["directories"] == 2 and summary["files"] == 2
assert [r["whole"] for r in summary["routes"]] == [2, 1], summary["routes"]
PY

# A text file named on the command line is invalid input, not skipped.
run check "$dir/notes.txt"
expect_code 1 "check of a named text file"
expect_in "$err" "granule check: $dir/notes.txt: not an ELF file" "check's stderr"

# --loadable: the executable's symbol relocations make it invalid input.
run check --loadable --page-size=4k "$dir/sub/true"
expect_code 1 "check --loadable of the executable"
expect_in "$err" "granule check: $dir/sub/true: " "check --loadable's stderr"

# Bad command lines.
run check --page-size=3k "$dir"
expect_code 2 "check --page-size=3k"
run check
expect_code 2 "check without a FILE or DIR"
expect_in "$err" "expected at least one FILE or DIR" "check's usage error"

# An unreadable file, reported by name with the reason. Root reads it
# anyway, so the case is probed, not assumed.
secret="$dir/sub/secret.so"
cp "$system_elf" "$secret"
chmod 000 "$secret"
if cat "$secret" >/dev/null 2>&1; then
  echo "unreadable file: skipped, this user reads mode 000 files (root)"
else
  run check --page-size=4k "$dir"
  expect_code 1 "check of a tree with an unreadable file"
  grep -q "^granule check: .*$secret.*: Permission denied" <<<"$err" \
    || fail "the unreadable file's error lacks its name and reason: $err"
  expect_in "$out" "$secret: invalid" "the unreadable file's line"
fi
chmod 600 "$secret"

# An unreadable directory: named, with the reason, and the walk goes on.
mkdir "$dir/closed"
chmod 000 "$dir/closed"
if ls "$dir/closed" >/dev/null 2>&1; then
  echo "unreadable directory: skipped, this user lists mode 000 directories (root)"
else
  run check --page-size=4k "$dir"
  expect_code 1 "check of a tree with an unreadable directory"
  expect_in "$err" "granule check: $dir/closed: cannot list: Permission denied" "the directory's error"
  expect_in "$out" "1 directory or entry not read" "the totals"
  expect_in "$out" "$dir/image.go: 4k whole" "the walk past the directory"
fi
chmod 700 "$dir/closed"

echo "page size here: $page; $failures failures"
[ "$failures" = 0 ]
