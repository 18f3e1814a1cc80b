/* SPDX-License-Identifier: Apache-2.0 */
/* A runtime author's program: compile a toy VM's module into a granule image,
 * load it by both paths, and check it. Built outside Bazel with
 *   cc vm_image.c $(pkg-config --cflags --libs granule) -o vm_image
 * Usage: vm_image [IMAGE_PATH]   (default: vm_image.go). Exits 0 on success.
 *
 * The module has three parts, one per access:
 *   .rodata  (R)   constants: strings the program refers to
 *   .text    (RX)  bytecode: the VM interprets it, so it never needs to be
 *                  executable; RX only says "code" (load with allow_execute
 *                  for machine code)
 *   .data    (RW)  mutable globals: a table of pointers to the constants,
 *                  filled by relocations when the image is loaded
 *   .bss     (RW)  zero-filled heap space, no bytes in the file */
#include <granule.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CONSTANT_COUNT 3
static const char* const kConstants[CONSTANT_COUNT] = {"hello", "granule",
                                                       "world"};
static const unsigned char kBytecode[] = {0x01, 0x00, 0x01, 0x01,
                                          0x01, 0x02, 0x02, 0x00};
/* The module's entry point, as Guile's DT_GUILE_ENTRY. */
enum { DT_VM_ENTRY = 0x37146002 };

static int Fail(const char* what) {
  fprintf(stderr, "vm_image: %s: %s\n", what, granule_last_error());
  return 0;
}

/* .rodata holds the constants back to back; .data[i] points at constant i. */
static int WriteModule(const char* path) {
  char constants[64];
  uint64_t offsets[CONSTANT_COUNT];
  uint64_t size = 0;
  uintptr_t globals[CONSTANT_COUNT] = {0};
  granule_builder* builder = granule_builder_new();
  int ok = builder != NULL;
  int i;
  for (i = 0; i < CONSTANT_COUNT; ++i) {
    offsets[i] = size;
    memcpy(constants + size, kConstants[i], strlen(kConstants[i]) + 1);
    size += strlen(kConstants[i]) + 1;
  }
  ok = ok && granule_builder_add_section(builder, ".rodata", GRANULE_ACCESS_R,
                                         constants, size, 8) == GRANULE_OK;
  ok = ok && granule_builder_add_section(builder, ".text", GRANULE_ACCESS_RX,
                                         kBytecode, sizeof kBytecode,
                                         16) == GRANULE_OK;
  ok = ok && granule_builder_add_section(builder, ".data", GRANULE_ACCESS_RW,
                                         globals, sizeof globals,
                                         sizeof(uintptr_t)) == GRANULE_OK;
  ok = ok && granule_builder_add_zero_section(builder, ".bss", 4096, 16) ==
                 GRANULE_OK;
  for (i = 0; ok && i < CONSTANT_COUNT; ++i) {
    ok = granule_builder_add_relocation(builder, ".data", i * sizeof(uintptr_t),
                                        ".rodata", offsets[i]) == GRANULE_OK;
  }
  ok = ok && granule_builder_add_dynamic_address(builder, DT_VM_ENTRY, ".text",
                                                 0) == GRANULE_OK;
  ok = ok && granule_builder_write(builder, path) == GRANULE_OK;
  if (!ok) Fail("writing the module");
  granule_builder_free(builder);
  return ok;
}

/* What a VM checks after loading: every global points at its constant, the
 * entry point is the bytecode, and the registry maps code back to the
 * image. */
static int CheckModule(const granule_image* image) {
  const void* data;
  const void* text;
  const char* const* globals;
  uint64_t size;
  granule_dynamic_entry entry;
  uint32_t i;
  const void* entry_point = NULL;

  if (granule_image_section(image, ".data", &data, &size) != GRANULE_OK ||
      granule_image_section(image, ".text", &text, &size) != GRANULE_OK) {
    return Fail("finding sections");
  }
  globals = (const char* const*)data;
  for (i = 0; i < CONSTANT_COUNT; ++i) {
    if (strcmp(globals[i], kConstants[i]) != 0) {
      fprintf(stderr, "vm_image: global %u is \"%s\", not \"%s\"\n", i,
              globals[i], kConstants[i]);
      return 0;
    }
  }
  printf("  globals: \"%s\" \"%s\" \"%s\" (relocated pointers to .rodata)\n",
         globals[0], globals[1], globals[2]);
  for (i = 0; i < granule_image_dynamic_count(image); ++i) {
    if (granule_image_dynamic(image, i, &entry) == GRANULE_OK &&
        entry.tag == DT_VM_ENTRY) {
      entry_point = entry.pointer;
    }
  }
  if (entry_point != text) {
    fprintf(stderr, "vm_image: the entry point is not .text\n");
    return 0;
  }
  if (granule_find_image(entry_point) != image) {
    fprintf(stderr, "vm_image: the registry does not know the entry point\n");
    return 0;
  }
  printf("  entry point: .text at image offset 0x%lx, found by address\n",
         (unsigned long)((uintptr_t)entry_point - granule_image_base(image)));
  return 1;
}

static void PrintImage(const granule_image* image) {
  granule_segment segment;
  uint32_t i;
  printf("  path: %s (%s)\n", granule_image_path_name(image),
         granule_image_reason(image));
  printf("  size: 0x%lx bytes\n", (unsigned long)granule_image_size(image));
  for (i = 0; i < granule_image_segment_count(image); ++i) {
    if (granule_image_segment(image, i, &segment) != GRANULE_OK) continue;
    /* PF_X without allow_execute stays readable only: bytecode is data. */
    printf("  segment %u: vaddr 0x%06lx size 0x%05lx %-2s (file %s)\n", i,
           (unsigned long)segment.vaddr, (unsigned long)segment.size,
           granule_protection_name(segment.protection),
           (segment.elf_flags & 2)   ? "RW"
           : (segment.elf_flags & 1) ? "RX"
                                     : "R");
  }
}

static int LoadAndCheck(const char* path, granule_path_choice choice,
                        const char* label) {
  granule_load_options options;
  granule_image* image = NULL;
  int ok;
  granule_load_options_init(&options);
  options.path = choice;
  if (granule_load(path, &options, &image) != GRANULE_OK) {
    return Fail(label);
  }
  printf("%s load:\n", label);
  PrintImage(image);
  ok = CheckModule(image);
  granule_image_release(image);
  return ok;
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "vm_image.go";
  uint64_t page_size, granularity;
  if (granule_page_geometry(&page_size, &granularity) != GRANULE_OK) {
    return Fail("page geometry") ? 0 : 1;
  }
  printf("this machine: %lu-byte pages, %lu-byte allocation granularity\n",
         (unsigned long)page_size, (unsigned long)granularity);
  if (!WriteModule(path)) return 1;
  printf("wrote %s\n", path);
  /* The shared path: read-only pages shared between processes through the
   * page cache. Possible on every page size up to the image's 64 KiB
   * alignment; a runtime would pass GRANULE_PATH_AUTO and take the malloc
   * path where it is not. */
  if (!LoadAndCheck(path, GRANULE_PATH_SHARED, "shared")) return 1;
  if (!LoadAndCheck(path, GRANULE_PATH_MALLOC, "malloc")) return 1;
  if (granule_loaded_image_count() != 0) {
    fprintf(stderr, "vm_image: images left loaded\n");
    return 1;
  }
  printf("vm_image: ok\n");
  return 0;
}
