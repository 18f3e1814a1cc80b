#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The granule command as a user meets it: output and exit codes.
set -u
here="$(dirname "$0")"
granule="$here/granule"
[ -x "$granule" ] || granule="${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/granule"
sample="$here/testdata/sample.image"
[ -f "$sample" ] || sample="${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/testdata/sample.image"
main_cc="$here/main.cc"
[ -f "$main_cc" ] || main_cc="${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/main.cc"
scratch="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Runs granule with the given arguments; sets $out, $err and $code.
run() {
  out=$("$granule" "$@" 2>"$scratch/stderr"); code=$?
  err=$(cat "$scratch/stderr")
}
expect_code() {  # WANT DESCRIPTION
  [ "$code" = "$1" ] || fail "$2 exited $code, want $1; stdout: $out; stderr: $err"
}

run --help
expect_code 0 "--help"
grep -q "check FILE" <<<"$out" || fail "--help lacks the check command: $out"
grep -q -- "--json" <<<"$out" || fail "--help lacks --json: $out"
grep -q "^  3  check: " <<<"$out" || fail "--help lacks the exit codes: $out"
run help
expect_code 0 "help"
[ "$out" = "$("$granule" --help)" ] || fail "help and --help differ: $out"

# Each command's own page: its flags only, an example, the exit codes.
for how in "help load" "load --help" "load -h"; do
  run $how
  expect_code 0 "$how"
  grep -q "^Usage: granule load FILE" <<<"$out" || fail "$how synopsis: $out"
  grep -q -- "--allow-exec" <<<"$out" || fail "$how lacks --allow-exec: $out"
  grep -q -- "--svg\|--page-size\|--output" <<<"$out" \
    && fail "$how lists another command's flags: $out"
  grep -q "^Example:" <<<"$out" || fail "$how lacks an example: $out"
  grep -q "^Exit status:" <<<"$out" || fail "$how lacks the exit codes: $out"
done
run help map
grep -q -- "--page-size=VALUE" <<<"$out" || fail "help map lacks --page-size: $out"
grep -q -- "--path=VALUE" <<<"$out" && fail "help map lists load's --path: $out"
# Each command's page lists exactly the flags the command reads in main.cc
# (where every flag is defined and read), and the command accepts each. The
# commands are those --help lists; each must be in main.cc's table.
help_flags() {  # COMMAND: the flags its page lists, one a line, as typed.
  "$granule" help "$1" | awk '/^Flags:/ {on = 1; next} /^$/ {on = 0}
    on && /^  --/ {sub(/^  --/, ""); sub(/[= ].*/, ""); print}' | sort
}
read_flags() {  # COMMAND: the flags main.cc reads for it, plus json.
  local run_function
  run_function=$(sed -n "s/^ *{\"$1\", {\([A-Za-z]*\).*/\1/p" "$main_cc")
  [ -n "$run_function" ] || { fail "main.cc's table lacks the command $1"; return; }
  { echo json
    awk -v f="^CommandResult $run_function[(]" '$0 ~ f {on = 1} on {print}
      on && /^}/ {exit}' "$main_cc" | grep -o 'FLAGS_[a-z_]*' | sed 's/^FLAGS_//'
  } | tr _ - | sort -u
}
commands=$("$granule" --help | awk '/^Commands:/ {on = 1; next} /^$/ {on = 0}
  on {print $1}')
[ "$(wc -w <<<"$commands")" -ge 6 ] || fail "--help lists too few commands: $commands"
all_listed=""
for command in $commands; do
  listed=$(help_flags "$command")
  all_listed="$all_listed
$listed"
  [ "$listed" = "$(read_flags "$command")" ] || fail "help $command lists" \
    "$(echo $listed), but main.cc reads $(echo $(read_flags "$command"))"
  for flag in $listed; do
    run "$command" "--$flag=true" "$scratch/no-such-file"
    grep -q "does not apply\|unknown flag" <<<"$err" \
      && fail "$command refuses --$flag, which its help lists: $err"
  done
done
for flag in $(sed -n 's/^ABSL_FLAG([^,]*, *\([a-z_]*\),.*/\1/p' "$main_cc" | tr _ -); do
  grep -qx -- "$flag" <<<"$all_listed" || fail "no command's help lists --$flag"
done
grep -qx "loadable" <<<"$(help_flags check)" || fail "help check lacks --loadable"
grep -qx "cache-dir" <<<"$(help_flags load)" || fail "help load lacks --cache-dir"
"$granule" help check | grep -q "^Usage: granule check FILE|DIR\.\.\. " \
  || fail "help check's synopsis lacks FILE|DIR"

run help frobnicate
expect_code 2 "help of an unknown command"
grep -q "unknown command 'frobnicate'" <<<"$err" || fail "help frobnicate: $err"

run --version
expect_code 0 "--version"
grep -qE "^granule [0-9]+\.[0-9]+\.[0-9]+$" <<<"$out" || fail "--version: $out"

run info
expect_code 0 "info"
page=$(getconf PAGESIZE)
want="page size                $((page / 1024)) KiB"
grep -qF "$want" <<<"$out" || fail "info lacks '$want': $out"
grep -q "memory backend           posix" <<<"$out" || fail "info lacks backend: $out"
run info --json
grep -q "\"page_size\":$page," <<<"$out" || fail "info --json: $out"

# link, then check and load what it wrote.
image="$scratch/sample.go"
run link "$sample" -o "$image"
expect_code 0 "link of the sample"
grep -q "linked .* 3 sections, 2 relocations (rela), 4 dynamic entries" <<<"$out" \
  || fail "link report: $out"
[ -f "$image" ] || fail "link wrote no $image"
# One of each: the report counts in the singular.
printf '%s\n' 'section .data rw align 8 fill 8 0' 'reloc .data+0 .data+0' \
  'dynamic GUILE_ENTRY .data+0' >"$scratch/one.image"
run link "$scratch/one.image" -o "$scratch/one.go"
expect_code 0 "link of a one-section description"
grep -q "linked .* 1 section, 1 relocation (rela), 1 dynamic entry$" <<<"$out" \
  || fail "link report in the singular: $out"
run link "$sample" --output "$scratch/again.go"
expect_code 0 "link with '--output OUT'"
[ -f "$scratch/again.go" ] || fail "link --output OUT wrote nothing"

run check --page-size=4k,16k,64k,4k/64k "$image"
expect_code 0 "check of the linked sample"
grep -q "64 KiB alignment contract met" <<<"$out" || fail "check: $out"
pairs="(file, page size) pairs mapped whole"
grep -q "checked 1 file: 4 $pairs, 0 per segment, 0 by copy, 0 invalid" <<<"$out" \
  || fail "check summary: $out"

printf 'not an ELF image, only some text\n' >"$scratch/notes.txt"
run check "$scratch/notes.txt"
expect_code 1 "check of a text file"
grep -q "^granule check: .*notes.txt: not an ELF file" <<<"$err" \
  || fail "check of a text file should name it on stderr: $err"
[ "$(grep -c "not an ELF file" <<<"$out$err")" = 1 ] \
  || fail "check prints its error more than once: $out $err"
# A text file and a file valid but copied on 256 KiB pages: invalid wins.
run check --page-size=4k,256k "$image" "$scratch/notes.txt"
expect_code 1 "check of a copied image and a text file"

run check --page-size=256k "$image"
expect_code 3 "check --page-size=256k (valid, but would be copied)"
grep -q "malloc: page size 256 KiB does not divide p_align 64 KiB" <<<"$out" \
  || fail "check --page-size=256k should say malloc and why: $out"
grep -q "checked 1 file: 0 $pairs, 0 per segment, 1 by copy, 0 invalid" \
  <<<"$out" || fail "check --page-size=256k summary: $out"
# Aligned to 1 KiB, the first segment over five 4 KiB pages: on 4 KiB pages
# all but the page it shares map; on 64 KiB pages the image is copied.
sed -e 's/^layout 1:1 .*/layout 1:1\nalignment 1k/' \
  -e 's/^section .rodata .*/section .rodata r align 16 fill 20000 0/' \
  "$sample" >"$scratch/per-segment.image"
"$granule" link "$scratch/per-segment.image" -o "$scratch/per-segment.go" >/dev/null \
  || fail "link of a per-segment image"
run check --page-size=4k,64k "$scratch/per-segment.go"
expect_code 3 "check of a per-segment image"
grep -q "checked 1 file: 0 $pairs, 1 per segment, 1 by copy, 0 invalid" \
  <<<"$out" || fail "check summary of a per-segment image: $out"
run check --page-size=4k,3k "$image"
expect_code 2 "check --page-size=4k,3k"
grep -q "page size '3k'" <<<"$err" || fail "bad token not named: $err"
for size in 1 512 2g 4k/2k; do
  run check --page-size=$size "$image"
  expect_code 2 "check --page-size=$size"
  grep -q "page size '$size'" <<<"$err" || fail "--page-size=$size not named: $err"
done
run check --page-size=1k,1g "$image"
expect_code 3 "check --page-size=1k,1g"

for path in shared malloc; do
  run load --path=$path "$image"
  expect_code 0 "load --path=$path"
  grep -q "sample.go: $path path" <<<"$out" || fail "load --path=$path: $out"
  grep -q "^loading 1 file took" <<<"$out" || fail "load's total in the singular: $out"
  grep -q "GUILE_VM_VERSION   0x3000006    Guile 3.0 bytecode, minor 6" <<<"$out" \
    || fail "load --path=$path dynamic entries: $out"
done

# A bad flag value is a usage error naming the flag, before any file is read.
run load --path=everywhere "$image"
expect_code 2 "load --path=everywhere"
grep -q -- "--path=everywhere: expected auto, shared or malloc" <<<"$err" \
  || fail "load --path=everywhere: $err"
run load --relocation-base=somewhere "$image"
expect_code 2 "load --relocation-base=somewhere"
grep -q -- "--relocation-base=somewhere: expected an address" <<<"$err" \
  || fail "load --relocation-base=somewhere: $err"

run load --path=shared --copy "$image"
expect_code 0 "load --copy"
grep -q "file bytes copied, not mapped" <<<"$out" || fail "load --copy: $out"
grep -q "file       copied at load" <<<"$out" || fail "load --copy: $out"
run load --copy --json "$image"
expect_code 0 "load --copy --json"
grep -q '"file_bytes_copied":true' <<<"$out" || fail "load --copy --json: $out"
run check --copy "$image"
expect_code 2 "check --copy"
grep -q -- "--copy does not apply to check" <<<"$err" || fail "check --copy: $err"
# --cache-dir: an image the shared path takes needs no entry; one aligned to
# 1 KiB, whose segments share this machine's pages, cannot be helped by a
# re-laid-out copy and falls back with the reason; a directory others may
# write is refused.
cache="$scratch/granule-cache"
run load --cache-dir="$cache" "$image"
expect_code 0 "load --cache-dir"
grep -q "sample.go: shared path" <<<"$out" || fail "load --cache-dir: $out"
[ -z "$(ls -A "$cache")" ] || fail "load --cache-dir wrote an entry: $(ls "$cache")"
sed 's/^layout 1:1 .*/layout 1:1\nalignment 1k/' "$sample" >"$scratch/small.image"
"$granule" link "$scratch/small.image" -o "$scratch/small.go" >/dev/null \
  || fail "link of a 1 KiB-aligned image"
run load --cache-dir="$cache" "$scratch/small.go"
expect_code 0 "load --cache-dir of a 1 KiB-aligned image"
grep -q "the image cache was not used: a copy re-laid out for" <<<"$out" \
  || fail "load --cache-dir fallback: $out"
mkdir -m 0777 "$scratch/open-cache" && chmod 0777 "$scratch/open-cache"
run load --cache-dir="$scratch/open-cache" "$scratch/small.go"
expect_code 0 "load --cache-dir of an open directory"
grep -q "refused: mode 0777 lets group or others write it" <<<"$out" \
  || fail "load --cache-dir open directory: $out"
run help load
grep -q -- "--cache-dir=VALUE" <<<"$out" || fail "help load lacks --cache-dir: $out"

run load --path=shared --populate "$image"
expect_code 0 "load --populate"
grep -q "writable pages populated before relocation" <<<"$out" \
  || fail "load --populate: $out"
run load --path=shared "$image"
grep -q "populated" <<<"$out" && fail "load without --populate says populated: $out"
run check --populate "$image"
expect_code 2 "check --populate"

# A bad description writes nothing and names file, line and token.
printf 'variant elf64-little\nsection .text rx hex 9g\n' >"$scratch/bad.image"
run link "$scratch/bad.image" -o "$scratch/bad.go"
expect_code 1 "link of a bad description"
grep -q "bad.image:2: section '.text': bad hex bytes '9g'" <<<"$err" \
  || fail "link error: $err"
[ ! -e "$scratch/bad.go" ] || fail "a failed link left $scratch/bad.go"
run link "$sample"
expect_code 2 "link without -o"

run demo
expect_code 0 "demo"
grep -q "linux-ppc64le  *shared  *copy" <<<"$out" \
  || fail "demo table row for 64 KiB pages: $out"
grep -q "256 KiB pages (hypothetical): page size 256 KiB does not divide" <<<"$out" \
  || fail "demo reason for 256 KiB pages: $out"
run demo --json
expect_code 0 "demo --json"
if command -v python3 >/dev/null; then
  python3 -m json.tool <<<"$out" >/dev/null || fail "demo --json is not JSON: $out"
else
  grep -q '^{"loads":\[.*"this_machine":{.*}}$' <<<"$out" \
    || fail "demo --json does not look like one object: $out"
fi

# map: the sample's segments over 4K/16K/64K pages; then the same sample
# linked with the old 4 KiB alignment, whose segments share a 64 KiB page.
run map "$image"
expect_code 0 "map of the linked sample"
for band in "4k: page 4 KiB" "16k: page 16 KiB" "64k: page 64 KiB"; do
  grep -q "^$band.*none shared by two protections" <<<"$out" || fail "map lacks '$band': $out"
done
[ "$(grep -c "verdict: shared path" <<<"$out")" = 3 ] || fail "map verdicts: $out"
grep -q "^  0x00000 |R...............|X...............|W" <<<"$out" \
  || fail "map's 4 KiB pages: $out"
grep -q "^  ! page" <<<"$out" && fail "map marks a shared page in a 64 KiB image: $out"
long=$(awk 'NR > 1 && length($0) >= 100' <<<"$out")
[ -z "$long" ] || fail "map lines of 100 columns or more: $long"

{ cat "$sample"; echo "alignment 4k"; } >"$scratch/sample-4k.image"
run link "$scratch/sample-4k.image" -o "$scratch/sample-4k.go"
expect_code 0 "link with alignment 4k"
run map "$scratch/sample-4k.go"
expect_code 0 "map of a 4 KiB-aligned image"
grep -q "^4k: .*none shared by two protections" <<<"$out" || fail "map 4k band: $out"
grep -q "^64k: .*1 page, 1 shared by two protections" <<<"$out" || fail "map 64k band: $out"
grep -q "^  ! page 0x00000..0x10000 shared by phdr 0 R, phdr 1 RX, phdr 2 RW" <<<"$out" \
  || fail "map does not mark the shared 64 KiB page: $out"
grep -q "verdict: malloc path: page size 64 KiB does not divide p_align 4 KiB" <<<"$out" \
  || fail "map 64k verdict: $out"

run map --svg --page-size=4k,64k "$scratch/sample-4k.go"
expect_code 0 "map --svg"
head -1 <<<"$out" | grep -q '^<?xml version="1.0"' || fail "map --svg header: $out"
tail -1 <<<"$out" | grep -q '^</svg>$' || fail "map --svg end: $out"
[ "$(grep -c '<g class="band">' <<<"$out")" = 2 ] || fail "map --svg bands: $out"
[ "$(grep -c 'stroke="#e31a1c"' <<<"$out")" = 1 ] || fail "map --svg conflicts: $out"
if command -v xmllint >/dev/null; then  # Besides the unit test's own check.
  xmllint --noout - <<<"$out" || fail "map --svg is not well-formed XML"
fi
run map --json "$image"
expect_code 0 "map --json"
grep -q '"cells":"RXW","conflicts":\[\]' <<<"$out" || fail "map --json: $out"

run map "$scratch/notes.txt"
expect_code 1 "map of a text file"
grep -q "^granule map: .*notes.txt: not an ELF file" <<<"$err" \
  || fail "map of a text file should name it on stderr: $err"
run map "$scratch/no-such.go"
expect_code 1 "map of a missing file"
grep -q "no-such.go" <<<"$err" || fail "map of a missing file should name it: $err"
run map --page-size=4k,3k "$image"
expect_code 2 "map --page-size=4k,3k"
run map
expect_code 2 "map without a file"
run map --svg --json "$image"
expect_code 2 "map --svg --json"
run check --svg "$image"
expect_code 2 "check --svg"

run frobnicate
expect_code 2 "an unknown command"
run
expect_code 2 "no command"
run info --bogus
expect_code 2 "an unknown flag"
grep -q "unknown flag '--bogus'" <<<"$err" || fail "unknown flag not named: $err"
# The error once and a one-line hint, not the whole usage.
[ "$err" = "granule info: unknown flag '--bogus'
Try 'granule help info'." ] || fail "unknown flag's message and hint: $err"
run load
expect_code 2 "load without a file"
[ "$(wc -l <<<"$err")" = 2 ] || fail "load without a file prints more than error and hint: $err"
run info --json=maybe
expect_code 2 "a bad flag value"
run load --page-size=4k "$image"
expect_code 2 "a flag of another command"

if [ "$failures" = 0 ]; then echo "granule command: all checks passed"; fi
exit "$failures"
