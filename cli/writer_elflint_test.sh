#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# eu-elflint --gnu-ld --strict over writer images of every variant, layout and
# relocation format, Guile-shaped (EM_NONE, EI_OSABI 255) and for a real
# machine of the variant. Allowed, by name, are only the complaints such an
# image cannot avoid:
#   - "unknown machine type 0": Guile's images are EM_NONE;
#   - "relocation N: invalid type": with EM_NONE no relocation type is known;
#   - "unsupported OS ABI ... 'Stand alone'": Guile's loader requires 255;
#   - "entry N: unknown tag", one per DT_GUILE_* entry: Guile's own tags;
#   - "'.relr.dyn' has wrong type: expected REL": elfutils 0.188 predates
#     SHT_RELR and judges the section by its name.
set -u
here="$(dirname "$0")"
granule="$here/granule"
[ -x "$granule" ] || granule="${TEST_SRCDIR}/${TEST_WORKSPACE}/cli/granule"
scratch="${TEST_TMPDIR:-$(mktemp -d)}"
command -v eu-elflint >/dev/null || { echo "FAIL: eu-elflint missing (elfutils)"; exit 1; }
failures=0
images=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

guile_tags=2
for variant in elf64-little elf64-big elf32-little elf32-big; do
  case "$variant" in
    elf64-little) real=x86-64 ;; elf64-big) real=22 ;;  # EM_S390
    elf32-little) real=i386 ;; elf32-big) real=20 ;;    # EM_PPC
  esac
  for layout in 1:1 compact; do
    for relocations in rela rel relr; do
      for machine in none "$real"; do
        name="$variant-${layout/:/to}-$relocations-$machine"
        {
          echo "variant $variant"
          echo "machine $machine"
          echo "layout $layout"
          echo "relocations $relocations"
          [ "$machine" = none ] && echo "osabi 255"
          echo 'section .rodata r align 16 text "hello\0"'
          echo 'section .text rx hex 90 c3'
          echo 'section .data rw align 8 fill 16 0'
          # Guile-shaped 1:1 images have no zero-filled memory.
          [ "$layout" = compact ] && echo 'section .bss rw align 8 zero 4096'
          echo 'reloc .data+0 .rodata+0'
          echo 'reloc .data+8 .text+0'
          echo 'dynamic GUILE_VM_VERSION 0x03000006'
          echo 'dynamic GUILE_ENTRY .text+0'
        } >"$scratch/$name.image"
        if ! "$granule" link "$scratch/$name.image" -o "$scratch/$name.go" \
          >/dev/null 2>"$scratch/err"; then
          fail "$name: link failed: $(cat "$scratch/err")"
          continue
        fi
        images=$((images + 1))
        report=$(eu-elflint --gnu-ld --strict "$scratch/$name.go" 2>&1)
        unknown_tags=$(grep -c "'.dynamic': entry [0-9]*: unknown tag$" <<<"$report")
        [ "$unknown_tags" = "$guile_tags" ] \
          || fail "$name: $unknown_tags unknown dynamic tags, want the $guile_tags DT_GUILE_* ones: $report"
        allowed="'.dynamic': entry [0-9]*: unknown tag$"
        if [ "$machine" = none ]; then
          allowed="$allowed|^unknown machine type 0$|relocation [0-9]*: invalid type$"
          allowed="$allowed|^unsupported OS ABI e_ident\[7\] == 'Stand alone'$"
        fi
        [ "$relocations" = relr ] \
          && allowed="$allowed|'\.relr\.dyn' has wrong type: expected REL, is <unknown>: 19$"
        rest=$(grep -Ev "$allowed" <<<"$report" | grep -v '^$')
        [ -z "$rest" ] || fail "$name: eu-elflint: $rest"
      done
    done
  done
done
[ "$images" = 48 ] || fail "checked $images images, want 48"
if [ "$failures" = 0 ]; then echo "eu-elflint: $images writer images, only the named complaints"; fi
exit "$failures"
