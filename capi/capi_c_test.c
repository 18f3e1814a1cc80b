/* SPDX-License-Identifier: Apache-2.0 */
/* granule.h from C99: every function, the happy path and the main errors.
 * Exits 0 when every check holds; each failed check prints its line. */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capi/granule.h"

static int failures = 0;

#define CHECK(condition)                                                      \
  do {                                                                        \
    if (!(condition)) {                                                       \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, \
              __LINE__, #condition, granule_last_error());                    \
      ++failures;                                                             \
    }                                                                         \
  } while (0)

#define CHECK_OK(call) CHECK((call) == GRANULE_OK)

static const char kConstants[] = "granule constants";
static const unsigned char kBytecode[16] = {1, 2, 3, 4};
enum { kDtGuileEntry = 0x37146002, kDtInit = 12, kDtCustomNumber = 0x6000100d };

static void TempPath(char* path, size_t size, const char* name) {
  const char* dir = getenv("TEST_TMPDIR");
  snprintf(path, size, "%s/%s", dir != NULL ? dir : "/tmp", name);
}

/* .rodata (R), .text (RX), .data (RW, two pointers), .bss (zero-filled). */
static granule_builder* NewBuilder(granule_layout layout,
                                   granule_relocation_format format) {
  uintptr_t data[2] = {0, 0};
  granule_builder* builder = granule_builder_new();
  CHECK(builder != NULL);
  CHECK_OK(granule_builder_set_layout(builder, layout));
  CHECK_OK(granule_builder_set_relocation_format(builder, format));
  CHECK_OK(granule_builder_set_machine(builder, 0, 0));
  CHECK_OK(granule_builder_set_segment_alignment(builder, 65536));
  CHECK_OK(granule_builder_add_section(builder, ".rodata", GRANULE_ACCESS_R,
                                       kConstants, sizeof kConstants, 8));
  CHECK_OK(granule_builder_add_section(builder, ".text", GRANULE_ACCESS_RX,
                                       kBytecode, sizeof kBytecode, 16));
  CHECK_OK(granule_builder_add_section(builder, ".data", GRANULE_ACCESS_RW,
                                       data, sizeof data, 8));
  CHECK_OK(granule_builder_add_zero_section(builder, ".bss", 4096, 8));
  CHECK_OK(granule_builder_add_relocation(builder, ".data", 0, ".rodata", 0));
  CHECK_OK(granule_builder_add_relocation(builder, ".data", sizeof(uintptr_t),
                                          ".rodata", 8));
  CHECK_OK(
      granule_builder_add_dynamic_address(builder, kDtGuileEntry, ".text", 4));
  CHECK_OK(granule_builder_add_dynamic_address(builder, kDtInit, ".text", 0));
  CHECK_OK(granule_builder_add_dynamic_value(builder, kDtCustomNumber, 42));
  return builder;
}

static void CheckLoaded(const granule_image* image) {
  const void* rodata = NULL;
  const void* data = NULL;
  uint64_t size = 0;
  const uintptr_t* pointers;
  granule_dynamic_entry entry;
  granule_segment segment;
  uint32_t i;
  int found_entry = 0, found_number = 0;

  CHECK(granule_image_end(image) > granule_image_begin(image));
  CHECK(granule_image_size(image) ==
        granule_image_end(image) - granule_image_begin(image));
  CHECK(strlen(granule_image_reason(image)) > 0);
  CHECK(strlen(granule_image_file(image)) > 0);

  CHECK_OK(granule_image_section(image, ".rodata", &rodata, &size));
  CHECK(size == sizeof kConstants);
  CHECK(memcmp(rodata, kConstants, sizeof kConstants) == 0);
  CHECK_OK(granule_image_section(image, ".data", &data, &size));
  CHECK(size == 2 * sizeof(uintptr_t));
  pointers = (const uintptr_t*)data;
  CHECK(pointers[0] == (uintptr_t)rodata);
  CHECK(pointers[1] == (uintptr_t)rodata + 8);
  CHECK(granule_image_section(image, ".nothing", &data, &size) ==
        GRANULE_NOT_FOUND);
  CHECK(strstr(granule_last_error(), ".nothing") != NULL);

  CHECK(granule_image_segment_count(image) == 3);
  CHECK_OK(granule_image_segment(image, 0, &segment));
  CHECK(segment.protection == GRANULE_PROT_R);
  CHECK(segment.address == granule_image_base(image) + segment.vaddr);
  CHECK_OK(granule_image_segment(image, 1, &segment));
  CHECK(segment.protection == GRANULE_PROT_R); /* RX, but not allowed. */
  CHECK(segment.elf_flags == 5);
  CHECK_OK(granule_image_segment(image, 2, &segment));
  CHECK(segment.protection == GRANULE_PROT_RW);
  CHECK(segment.size >= 2 * sizeof(uintptr_t) + 4096);
  CHECK(granule_image_segment(image, 3, &segment) == GRANULE_OUT_OF_RANGE);

  for (i = 0; i < granule_image_dynamic_count(image); ++i) {
    CHECK_OK(granule_image_dynamic(image, i, &entry));
    if (entry.tag == kDtGuileEntry) {
      const void* text = NULL;
      CHECK_OK(granule_image_section(image, ".text", &text, &size));
      CHECK(entry.pointer == (const unsigned char*)text + 4);
      found_entry = 1;
    }
    if (entry.tag == kDtCustomNumber) {
      CHECK(entry.value == 42);
      found_number = 1;
    }
  }
  CHECK(found_entry && found_number);
  CHECK(granule_image_dynamic(image, granule_image_dynamic_count(image),
                              &entry) == GRANULE_OUT_OF_RANGE);

  CHECK(granule_find_image(rodata) == image);
  CHECK(granule_find_image(kConstants) == NULL);
}

static void LoadBothPaths(const char* path) {
  granule_load_options options;
  granule_image* image = NULL;
  const uint64_t before = granule_loaded_image_count();

  granule_load_options_init(&options);
  options.path = GRANULE_PATH_MALLOC;
  CHECK_OK(granule_load(path, &options, &image));
  CHECK(image != NULL);
  if (image == NULL) return;
  CHECK(granule_image_path(image) == GRANULE_LOADED_MALLOC);
  CHECK(strcmp(granule_image_path_name(image), "malloc") == 0);
  CHECK(granule_image_route(image) == GRANULE_ROUTE_COPY);
  CHECK(strcmp(granule_image_route_name(image), "copy") == 0);
  CHECK(granule_image_bytes_mapped(image) == 0);
  CHECK(granule_image_bytes_copied(image) > 0);
  CheckLoaded(image);
  CHECK(granule_loaded_image_count() == before + 1);
  granule_image_release(image);
  CHECK(granule_loaded_image_count() == before);

  /* On this machine's pages (4 KiB .. 64 KiB) a 64 KiB image is shared. */
  granule_load_options_init(&options);
  options.require_shared = 1;
  CHECK_OK(granule_load(path, &options, &image));
  if (image == NULL) return;
  CHECK(granule_image_path(image) == GRANULE_LOADED_SHARED);
  CHECK(granule_image_route(image) == GRANULE_ROUTE_SHARED_WHOLE);
  CHECK(strcmp(granule_image_route_name(image), "shared") == 0);
  CHECK(granule_image_bytes_mapped(image) > 0);
  CHECK(granule_image_bytes_copied(image) == 0);
  CheckLoaded(image);
  granule_image_release(image);

  granule_load_options_init(&options);
  options.copy_file_bytes = 1;
  options.allow_execute = 1;
  CHECK_OK(granule_load(path, &options, &image));
  if (image == NULL) return;
  granule_image_release(image);
}

/* An init hook that checks the image is relocated and counts its calls. */
static int32_t CheckRelocatedInit(const granule_image* image, void* calls) {
  const void* rodata = NULL;
  const void* data = NULL;
  uint64_t size = 0;
  ++*(int*)calls;
  if (granule_image_section(image, ".rodata", &rodata, &size) != GRANULE_OK ||
      granule_image_section(image, ".data", &data, &size) != GRANULE_OK) {
    return GRANULE_INTERNAL;
  }
  return ((const uintptr_t*)data)[0] == (uintptr_t)rodata ? GRANULE_OK
                                                          : GRANULE_DATA_LOSS;
}

static int32_t FailingInit(const granule_image* image, void* calls) {
  (void)image;
  ++*(int*)calls;
  return GRANULE_FAILED_PRECONDITION;
}

/* The options added after the first release: init, populate_writable,
 * max_image_size, and a caller compiled before them. */
static void CheckLaterOptions(const char* path) {
  granule_load_options options;
  granule_image* image = NULL;
  const uint64_t before = granule_loaded_image_count();
  int calls = 0;

  granule_load_options_init(&options);
  CHECK(options.init == NULL && options.max_image_size == 0);
  options.init = CheckRelocatedInit;
  options.init_user_data = &calls;
  options.populate_writable = 1;
  CHECK_OK(granule_load(path, &options, &image));
  CHECK(calls == 1);
  if (image != NULL) CheckLoaded(image);
  granule_image_release(image);

  options.init = FailingInit;
  image = (granule_image*)&options; /* Must become NULL. */
  CHECK(granule_load(path, &options, &image) == GRANULE_FAILED_PRECONDITION);
  CHECK(calls == 2);
  CHECK(image == NULL);
  CHECK(granule_loaded_image_count() == before);
  CHECK(strstr(granule_last_error(),
               "the init hook failed with code 9 (FAILED_PRECONDITION)") !=
        NULL);

  /* Compiled before init existed: the library must not read it. */
  options.struct_size = (uint32_t)offsetof(granule_load_options, init);
  CHECK_OK(granule_load(path, &options, &image));
  CHECK(calls == 2);
  granule_image_release(image);

  granule_load_options_init(&options);
  options.max_image_size = 4096;
  CHECK(granule_load(path, &options, &image) == GRANULE_INVALID_ARGUMENT);
  CHECK(strstr(granule_last_error(), "more than the limit of 4 KiB") != NULL);
  CHECK(granule_loaded_image_count() == before);
}

/* granule_load_fd: the caller's fd stays open and usable. */
static void CheckLoadFd(const char* path) {
  granule_image* image = NULL;
  const int fd = open(path, O_RDONLY);
  CHECK(fd >= 0);
  if (fd < 0) return;
  CHECK_OK(granule_load_fd(fd, "c_test_fd.go", NULL, &image));
  if (image != NULL) {
    CHECK(strcmp(granule_image_file(image), "c_test_fd.go") == 0);
    CheckLoaded(image);
  }
  granule_image_release(image);
  CHECK(close(fd) == 0);
  CHECK(granule_load_fd(fd, NULL, NULL, &image) != GRANULE_OK);
  CHECK(image == NULL);
}

/* Reads the whole file at `path` into a malloc'd buffer; *size its size. */
static unsigned char* ReadAll(const char* path, long* size) {
  unsigned char* bytes = NULL;
  FILE* file = fopen(path, "rb");
  CHECK(file != NULL);
  if (file == NULL) return NULL;
  CHECK(fseek(file, 0, SEEK_END) == 0);
  *size = ftell(file);
  CHECK(fseek(file, 0, SEEK_SET) == 0);
  bytes = (unsigned char*)malloc((size_t)*size);
  CHECK(bytes != NULL && fread(bytes, 1, (size_t)*size, file) == (size_t)*size);
  fclose(file);
  return bytes;
}

/* A 1:1 image: map_whole_file, a window, memory copied and in place, user
 * data and enumeration. */
static void CheckOneToOneSources(const char* path) {
  granule_load_options options;
  granule_image* image = NULL;
  const granule_image* listed[4];
  const void* data = NULL;
  uint64_t size = 0;
  long file_size = 0;
  unsigned char* bytes = ReadAll(path, &file_size);
  unsigned char* raw;
  unsigned char* aligned;
  int fd, record = 0;
  if (bytes == NULL) return;

  granule_load_options_init(&options);
  options.map_whole_file = 1;
  CHECK_OK(granule_load(path, &options, &image));
  if (image != NULL) {
    CHECK_OK(granule_image_file_bytes(image, &data, &size));
    CHECK(size == (uint64_t)file_size);
    CHECK(data != NULL && memcmp(data, bytes, 4) == 0);
    CHECK_OK(granule_image_section(image, ".shstrtab", &data, &size));
    CHECK(granule_image_user_data(image) == NULL);
    granule_image_set_user_data(image, &record);
    CHECK(granule_image_user_data(image) == &record);
    CHECK(granule_loaded_images(listed, 4) == 1);
    CHECK(listed[0] == image);
  }
  granule_image_release(image);

  fd = open(path, O_RDONLY);
  CHECK(fd >= 0);
  CHECK_OK(granule_load_fd_range(fd, NULL, 0, (uint64_t)file_size, NULL,
                                 &image));
  if (image != NULL) CheckLoaded(image);
  granule_image_release(image);
  CHECK(granule_load_fd_range(fd, NULL, 1, (uint64_t)file_size, NULL,
                              &image) == GRANULE_OUT_OF_RANGE);
  CHECK(close(fd) == 0);

  CHECK_OK(granule_load_memory(bytes, (uint64_t)file_size, "in memory", NULL,
                               &image));
  if (image != NULL) CheckLoaded(image);
  granule_image_release(image);

  raw = (unsigned char*)malloc((size_t)file_size + 65536);
  CHECK(raw != NULL);
  if (raw != NULL) {
    aligned = raw + (65536 - (uintptr_t)raw % 65536) % 65536;
    memcpy(aligned, bytes, (size_t)file_size);
    CHECK_OK(granule_load_memory_in_place(aligned, (uint64_t)file_size,
                                          "in place", NULL, &image));
    if (image != NULL) {
      CHECK(granule_image_path(image) == GRANULE_LOADED_IN_PLACE);
      CheckLoaded(image);
    }
    granule_image_release(image);
    CHECK(granule_load_memory_in_place(aligned + 8, (uint64_t)file_size - 8,
                                       "in place", NULL, &image) ==
          GRANULE_INVALID_ARGUMENT);
    free(raw);
  }
  free(bytes);
  CHECK(granule_loaded_images(NULL, 0) == 0);
}

static void CheckErrors(const char* path) {
  granule_load_options options;
  granule_image* image = (granule_image*)&options; /* Must become NULL. */
  granule_builder* builder = granule_builder_new();

  CHECK(granule_builder_add_section(builder, ".x", 7, "", 0, 8) ==
        GRANULE_INVALID_ARGUMENT);
  CHECK(strstr(granule_last_error(), "access 7") != NULL);
  CHECK(granule_builder_add_section(builder, ".x", GRANULE_ACCESS_R, "", 0,
                                    3) == GRANULE_INVALID_ARGUMENT);
  CHECK(granule_builder_set_target(builder, 16, GRANULE_LITTLE_ENDIAN) ==
        GRANULE_INVALID_ARGUMENT);
  CHECK_OK(granule_builder_set_target(builder, 64, GRANULE_BIG_ENDIAN));
  CHECK_OK(granule_builder_add_relocation(builder, ".none", 0, ".none", 0));
  CHECK(granule_builder_write(builder, path) == GRANULE_INVALID_ARGUMENT);
  CHECK(strstr(granule_last_error(), ".none") != NULL);
  granule_builder_free(builder);
  granule_builder_free(NULL);

  CHECK(granule_load("/nonexistent/granule.go", NULL, &image) ==
        GRANULE_NOT_FOUND);
  CHECK(image == NULL);
  CHECK(strstr(granule_last_error(), "/nonexistent/granule.go") != NULL);
  granule_load_options_init(&options);
  options.path = GRANULE_PATH_MALLOC;
  options.require_shared = 1;
  CHECK(granule_load(path, &options, &image) == GRANULE_INVALID_ARGUMENT);
  options.struct_size = 4;
  CHECK(granule_load(path, &options, &image) == GRANULE_INVALID_ARGUMENT);
  CHECK(strstr(granule_last_error(), "struct_size 4") != NULL);
  CHECK(granule_load(NULL, NULL, &image) == GRANULE_INVALID_ARGUMENT);
  granule_image_release(NULL);
  CHECK(strcmp(granule_status_name(GRANULE_NOT_FOUND), "NOT_FOUND") == 0);
  CHECK(strcmp(granule_status_name(99), "UNKNOWN_STATUS") == 0);
  CHECK(strcmp(granule_protection_name(GRANULE_PROT_RX), "RX") == 0);
}

int main(void) {
  static const granule_layout kLayouts[] = {GRANULE_LAYOUT_ONE_TO_ONE,
                                            GRANULE_LAYOUT_COMPACT};
  static const granule_relocation_format kFormats[] = {
      GRANULE_RELOCATIONS_RELA, GRANULE_RELOCATIONS_REL,
      GRANULE_RELOCATIONS_RELR};
  uint64_t page_size = 0, granularity = 0;
  char path[4096];
  size_t l, f;

  /* The library and this header are one version. */
  CHECK(strcmp(granule_version(), GRANULE_VERSION_STRING) == 0);
  CHECK_OK(granule_page_geometry(&page_size, &granularity));
  CHECK(page_size >= 4096 && granularity % page_size == 0);
  CHECK_OK(granule_page_geometry(NULL, NULL));

  for (l = 0; l < 2; ++l) {
    for (f = 0; f < 3; ++f) {
      granule_builder* builder = NewBuilder(kLayouts[l], kFormats[f]);
      TempPath(path, sizeof path, "c_test.go");
      CHECK_OK(granule_builder_write(builder, path));
      granule_builder_free(builder);
      LoadBothPaths(path);
      if (kLayouts[l] == GRANULE_LAYOUT_ONE_TO_ONE) CheckOneToOneSources(path);
    }
  }
  CheckLaterOptions(path);
  CheckLoadFd(path);
  TempPath(path, sizeof path, "c_test_bad.go");
  CheckErrors(path);
  if (failures == 0) printf("capi_c_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
