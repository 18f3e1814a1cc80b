/* SPDX-License-Identifier: Apache-2.0 */
/* granule's C API: write 64 KiB-aligned ELF images and load them on any page
 * size, from C. One header, one library (-lgranule; see granule.pc).
 *
 * Conventions:
 * - Every name starts with granule_ / GRANULE_. Handles are opaque.
 * - Functions that can fail return a granule_status (GRANULE_OK is 0) or
 *   NULL; granule_last_error() then gives the failure's text on this thread.
 *   A success leaves the text of the last failure in place, like errno.
 * - No C++ type or exception crosses this header: an out-of-memory inside the
 *   library becomes GRANULE_RESOURCE_EXHAUSTED.
 * - Strings returned by the library live as long as the handle they came from
 *   (granule_last_error's until the next failure on the same thread).
 * - Paths are byte strings: on Windows they are UTF-8 (converted to UTF-16
 *   for the W functions; a path that is not UTF-8 is INVALID_ARGUMENT).
 *
 * Thread-safety, every function:
 * - Async-signal-safe, lock-free, never waiting for another thread's load or
 *   release (so also callable while they run): granule_find_image,
 *   granule_loaded_image_count, granule_loaded_images,
 *   granule_image_user_data, granule_status_name, granule_protection_name,
 *   granule_version; and, for an image not being released, granule_image_base,
 *   _begin, _end, _size and _path.
 * - Thread-safe, not for signal handlers (they may allocate or lock):
 *   granule_last_error (per thread), granule_page_geometry,
 *   granule_load_options_init, granule_load, granule_load_fd,
 *   granule_load_fd_range, granule_load_memory,
 *   granule_load_memory_in_place, granule_load_many,
 *   granule_load_many_error (per thread), granule_image_release and
 *   granule_builder_new. Loads and releases of different images run in
 *   parallel; each waits for the lookups already under way (a binary
 *   search each) before freeing the registry table it replaced.
 * - On one image, from any threads until it is released: every
 *   granule_image_* query (they read what the load left; granule_image_section,
 *   _segment, _dynamic and _file_bytes set the thread's error text on
 *   failure) and granule_image_set_user_data (atomic). Releasing an image
 *   while another thread still uses its handle is the caller's race.
 * - One builder, one thread at a time: the granule_builder_* calls
 *   (different builders are independent).
 * See capi/README.md for an overview and capi/example/vm_image.c for a
 * complete program. */
#ifndef GRANULE_H_
#define GRANULE_H_

#include <stddef.h>
#include <stdint.h>

/* granule's version, written here and nowhere else: the library's SONAME
 * (libgranule.so.MAJOR), granule.pc, `granule --version` and
 * granule_version() are all made from these three lines. */
#define GRANULE_VERSION_MAJOR 0
#define GRANULE_VERSION_MINOR 5
#define GRANULE_VERSION_PATCH 0

#define GRANULE_VERSION_TEXT_(x) #x
#define GRANULE_VERSION_TEXT(x) GRANULE_VERSION_TEXT_(x)
/* "MAJOR.MINOR.PATCH" of this header. */
#define GRANULE_VERSION_STRING                   \
  GRANULE_VERSION_TEXT(GRANULE_VERSION_MAJOR)    \
  "." GRANULE_VERSION_TEXT(GRANULE_VERSION_MINOR) \
  "." GRANULE_VERSION_TEXT(GRANULE_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: the values of absl::StatusCode (and of gRPC's codes). */
typedef int32_t granule_status;
enum {
  GRANULE_OK = 0,
  GRANULE_CANCELLED = 1,
  GRANULE_UNKNOWN = 2,
  GRANULE_INVALID_ARGUMENT = 3,
  GRANULE_DEADLINE_EXCEEDED = 4,
  GRANULE_NOT_FOUND = 5,
  GRANULE_ALREADY_EXISTS = 6,
  GRANULE_PERMISSION_DENIED = 7,
  GRANULE_RESOURCE_EXHAUSTED = 8,
  GRANULE_FAILED_PRECONDITION = 9,
  GRANULE_ABORTED = 10,
  GRANULE_OUT_OF_RANGE = 11,
  GRANULE_UNIMPLEMENTED = 12,
  GRANULE_INTERNAL = 13,
  GRANULE_UNAVAILABLE = 14,
  GRANULE_DATA_LOSS = 15
};

/* The version of the library linked at run time, "MAJOR.MINOR.PATCH"; it may
 * differ from GRANULE_VERSION_STRING, the header's. Thread-safe. */
const char* granule_version(void);

/* The text of the last failure on the calling thread, "" when none. */
const char* granule_last_error(void);
/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN_STATUS" for other values. */
const char* granule_status_name(granule_status status);

/* ---- This machine ---- */

/* The page size and the allocation granularity (64 KiB on Windows, else the
 * page size): an image takes the shared path when both divide its segments'
 * alignment. Either pointer may be NULL. */
granule_status granule_page_geometry(uint64_t* page_size,
                                     uint64_t* allocation_granularity);

/* ---- Writing an image ---- */

/* Sections are grouped by access into up to three segments: R (which also
 * holds the headers and relocations), RX, RW. */
typedef int32_t granule_access;
enum { GRANULE_ACCESS_R = 0, GRANULE_ACCESS_RX = 1, GRANULE_ACCESS_RW = 2 };

/* 1:1: file offset == address (Guile's .go files). Compact: no padding on
 * disk, offset == address modulo the segment alignment. */
typedef int32_t granule_layout;
enum { GRANULE_LAYOUT_ONE_TO_ONE = 0, GRANULE_LAYOUT_COMPACT = 1 };

typedef int32_t granule_relocation_format;
enum {
  GRANULE_RELOCATIONS_RELA = 0,
  GRANULE_RELOCATIONS_REL = 1,
  GRANULE_RELOCATIONS_RELR = 2
};

typedef int32_t granule_byte_order;
enum { GRANULE_LITTLE_ENDIAN = 0, GRANULE_BIG_ENDIAN = 1 };

typedef struct granule_builder granule_builder;

/* A builder for this machine's word size and byte order, the 1:1 layout,
 * RELA relocations and 64 KiB segment alignment. NULL when out of memory. */
granule_builder* granule_builder_new(void);
void granule_builder_free(granule_builder* builder); /* NULL is fine. */

/* word_bits 32 or 64. The loader relocates only images of the host's
 * variant (or with an explicit relocation base). */
granule_status granule_builder_set_target(granule_builder* builder,
                                          uint32_t word_bits,
                                          granule_byte_order byte_order);
/* e_machine and EI_OSABI; both 0 by default. */
granule_status granule_builder_set_machine(granule_builder* builder,
                                           uint16_t machine, uint8_t os_abi);
granule_status granule_builder_set_layout(granule_builder* builder,
                                          granule_layout layout);
granule_status granule_builder_set_relocation_format(
    granule_builder* builder, granule_relocation_format format);
/* p_align of every segment: a power of two; 65536 unless changed. */
granule_status granule_builder_set_segment_alignment(granule_builder* builder,
                                                     uint64_t alignment);

/* A section of `size` bytes copied from `bytes` (NULL only when size is 0).
 * `name` is unique, e.g. ".rodata"; `alignment` a power of two. */
granule_status granule_builder_add_section(granule_builder* builder,
                                           const char* name,
                                           granule_access access,
                                           const void* bytes, uint64_t size,
                                           uint64_t alignment);
/* A zero-filled RW section with no bytes in the file (SHT_NOBITS, ".bss"). */
granule_status granule_builder_add_zero_section(granule_builder* builder,
                                                const char* name, uint64_t size,
                                                uint64_t alignment);
/* The word at place_section+place_offset (word-aligned, in an RW section)
 * becomes the load address of target_section+target_offset. */
granule_status granule_builder_add_relocation(granule_builder* builder,
                                              const char* place_section,
                                              uint64_t place_offset,
                                              const char* target_section,
                                              uint64_t target_offset);
/* A .dynamic entry holding a number. DT_RELA/DT_REL/DT_RELR and their sizes
 * are the writer's; DT_NULL is added at the end. */
granule_status granule_builder_add_dynamic_value(granule_builder* builder,
                                                 int64_t tag, uint64_t value);
/* A .dynamic entry holding the address of section+offset. */
granule_status granule_builder_add_dynamic_address(granule_builder* builder,
                                                   int64_t tag,
                                                   const char* section,
                                                   uint64_t offset);
/* Lays the image out and writes it to `path` atomically: a reader sees the
 * old file or the whole new one. On error nothing is left behind. The
 * builder stays usable. */
granule_status granule_builder_write(const granule_builder* builder,
                                     const char* path);

/* ---- Loading an image ---- */

typedef struct granule_image granule_image;

typedef int32_t granule_path_choice;
enum {
  GRANULE_PATH_AUTO = 0,   /* Shared when the page geometry allows. */
  GRANULE_PATH_SHARED = 1, /* Shared or an error. */
  GRANULE_PATH_MALLOC = 2  /* Always a heap copy. */
};

typedef struct granule_load_options {
  uint32_t struct_size; /* sizeof(granule_load_options); set by _init. */
  granule_path_choice path;
  int32_t allow_execute;       /* Nonzero: PF_X segments become executable. */
  int32_t require_shared;      /* Nonzero: as GRANULE_PATH_SHARED. */
  int32_t copy_file_bytes;     /* Nonzero: shared layout, file bytes read in. */
  int32_t has_relocation_base; /* Nonzero: relocate against the base below */
  uint64_t relocation_base;    /* instead of where the image lands. */
  /* Later fields: a caller whose struct_size ends before one gets its default. */
  /* Called after relocation and final protections, before granule_load
   * returns (where Guile runs DT_INIT). Nonzero fails the load with that
   * status code (GRANULE_UNKNOWN if it is none) and the library releases
   * the image; granule_last_error names the code. NULL: no hook. */
  int32_t (*init)(const granule_image* image, void* user_data);
  void* init_user_data;       /* Passed to init. */
  int32_t populate_writable;  /* Nonzero: fault in writable pages at once. */
  uint64_t max_image_size;    /* Refuse larger images; 0: the default 1 GiB. */
  /* Nonzero: the image's span runs from file offset 0 to the end of the
   * file, not only over its PT_LOAD segments, so sections no PT_LOAD holds
   * are readable in place (granule_image_section, granule_image_file_bytes).
   * The file is 1:1 (Guile's .go: offset == address), so every file byte is
   * at granule_image_base(image) + its offset. Bytes outside the segments are
   * read-only (those sharing a page with a writable segment excepted; the
   * file never changes). The malloc path, and copy_file_bytes, copy the whole
   * file. INVALID_ARGUMENT for a compact image, or one whose zero-filled
   * (.bss) memory would cover file bytes. */
  int32_t map_whole_file;
  /* A directory for re-laid-out copies of images the shared path refuses
   * for their file offsets or p_align (loader/image_cache.h): the copy is
   * written there once and mapped shared. Created 0755 if missing; refused
   * (the load falls back, granule_image_reason says why) when another user
   * could write it, and always on Windows. Read during the call only. NULL:
   * no cache. */
  const char* cache_dir;
  uint32_t cache_file_mode;     /* Entries' POSIX mode; 0: 0644. */
  int32_t cache_verify_content; /* Nonzero: rehash the source every load. */
  /* Nonzero: the section header table is not read (two reads fewer a load,
   * and no table kept): for a runtime that finds its sections in the mapped
   * file itself, as Guile does. granule_image_section then fails with
   * FAILED_PRECONDITION, and map_whole_file refuses any zero-filled (.bss)
   * memory over file bytes. Ignored with cache_dir, which must move the
   * sections of a copy it re-lays out. */
  int32_t skip_section_table;
  /* Carve the image's address range from this arena (granule_arena_new):
   * images together in address space reserved up front, a released
   * image's range held for the next. The image keeps the arena alive. The
   * malloc path ignores it. NULL: each image placed on its own (on POSIX,
   * by its file mapping alone where that fills its range), which measured
   * faster on Linux. */
  struct granule_arena* arena;
} granule_load_options;

/* The defaults: GRANULE_PATH_AUTO, everything else off. */
void granule_load_options_init(granule_load_options* options);

/* Reads, checks, maps, relocates and registers the image at `path`.
 * `options` may be NULL for the defaults. On error *image is NULL and nothing
 * stays mapped. */
granule_status granule_load(const char* path,
                            const granule_load_options* options,
                            granule_image** image);
/* granule_load for a file the caller has open for reading: `fd` is a POSIX
 * descriptor (a C runtime descriptor from _open or _fileno on Windows).
 * `name` is what errors and granule_image_file() report; NULL means
 * "fd N". The fd stays the caller's, open during the call: granule reads
 * it with pread (its file position does not move) and never closes it; on
 * Windows, where a read at an offset moves the position, it reads a handle
 * of its own (ReOpenFile), closed before returning. No descriptor or handle
 * of granule's outlives the call. A shared-path mapping
 * keeps the file's pages reachable on its own: the caller may close fd
 * right after the call. Errors: a negative, closed or write-only fd, or one
 * that is not a regular file, is INVALID_ARGUMENT (or the OS's code) naming
 * the name and the fd. */
granule_status granule_load_fd(int fd, const char* name,
                               const granule_load_options* options,
                               granule_image** image);
/* granule_load_fd for the `length` bytes at `offset` of the file: an image
 * appended to an executable or stored in an archive. The image's offsets are
 * relative to the window. The shared path needs `offset` to be a multiple of
 * the allocation granularity (granule_page_geometry), as a segment's offset
 * must be; otherwise the malloc path is taken and granule_image_reason says
 * why (GRANULE_PATH_SHARED: FAILED_PRECONDITION with that reason). NULL
 * `name` means "fd N at offset O". OUT_OF_RANGE, naming the offset, length
 * and file size, when the window is empty or runs past the end of the file. */
granule_status granule_load_fd_range(int fd, const char* name, uint64_t offset,
                                     uint64_t length,
                                     const granule_load_options* options,
                                     granule_image** image);
/* Loads the image held in the `size` bytes at `data`, copying them, as
 * Guile's load-thunk-from-memory does: into fresh pages laid out as the
 * shared path's, with its protections (copy_file_bytes), where the page
 * geometry allows, else onto the heap. The buffer may be freed as soon as
 * the call returns. `name` is what errors and granule_image_file() report;
 * NULL means "memory at 0x...". */
granule_status granule_load_memory(const void* data, uint64_t size,
                                   const char* name,
                                   const granule_load_options* options,
                                   granule_image** image);
/* Loads the image in the caller's buffer without copying it: the buffer
 * becomes the image's memory (granule_image_path: GRANULE_LOADED_IN_PLACE).
 * It must hold a 1:1 image, start on the image's largest p_align, and hold
 * every segment's p_memsz; otherwise INVALID_ARGUMENT or OUT_OF_RANGE
 * naming the field and value, and the buffer is untouched. Relocations and
 * .bss zeros are written into it, so it must be writable; its protections
 * are left as they are. The caller keeps it alive, and frees it, after
 * granule_image_release. options.path must not be GRANULE_PATH_SHARED. */
granule_status granule_load_memory_in_place(void* data, uint64_t size,
                                            const char* name,
                                            const granule_load_options* options,
                                            granule_image** image);
/* Unregisters and unmaps an image from granule_load. NULL is fine. */
void granule_image_release(granule_image* image);

/* ---- Querying a loaded image (the handle must not be NULL) ---- */

typedef int32_t granule_load_path;
enum {
  GRANULE_LOADED_SHARED = 0,
  GRANULE_LOADED_MALLOC = 1,
  GRANULE_LOADED_IN_PLACE = 2 /* granule_load_memory_in_place */
};

typedef int32_t granule_protection;
enum {
  GRANULE_PROT_NONE = 0,
  GRANULE_PROT_R = 1,
  GRANULE_PROT_RW = 2,
  GRANULE_PROT_RX = 3
};
/* "none", "R", "RW", "RX". */
const char* granule_protection_name(granule_protection protection);

/* Where image address 0 is: image addresses become pointers by adding it. */
uintptr_t granule_image_base(const granule_image* image);
uintptr_t granule_image_begin(const granule_image* image);
uintptr_t granule_image_end(const granule_image* image);
uint64_t granule_image_size(const granule_image* image); /* end - begin */
const char* granule_image_file(const granule_image* image);
granule_load_path granule_image_path(const granule_image* image);
/* "shared", "malloc", "in place". */
const char* granule_image_path_name(const granule_image* image);
/* Why that path: which units divided the alignment, or which did not. */
const char* granule_image_reason(const granule_image* image);

/* How the image's file pages reached memory on this machine's geometry:
 * mapped whole, segment by segment (the allocation units one segment alone
 * touches at a congruent file offset mapped, the rest copied in place, on
 * the shared path), or copied (the malloc path). */
typedef int32_t granule_route;
enum {
  GRANULE_ROUTE_SHARED_WHOLE = 0,
  GRANULE_ROUTE_PER_SEGMENT = 1,
  GRANULE_ROUTE_COPY = 2
};
granule_route granule_image_route(const granule_image* image);
/* "shared", "per-segment", "copy". */
const char* granule_image_route_name(const granule_image* image);
/* Bytes of file pages mapped from the file (shareable with other processes)
 * and copied into private memory. copy_file_bytes counts its reads as
 * copied. */
uint64_t granule_image_bytes_mapped(const granule_image* image);
uint64_t granule_image_bytes_copied(const granule_image* image);

/* A pointer of the caller's kept with the image (a runtime's record of the
 * module), NULL until set; granule never reads it. Setting and getting are
 * atomic: granule_image_user_data is async-signal-safe, so a handler that
 * found an image with granule_find_image can reach the caller's record. */
void granule_image_set_user_data(granule_image* image, void* user_data);
void* granule_image_user_data(const granule_image* image);

typedef struct granule_segment {
  uintptr_t address;             /* Where p_vaddr landed. */
  uint64_t vaddr;                /* p_vaddr. */
  uint64_t size;                 /* p_memsz. */
  uint32_t elf_flags;            /* p_flags: PF_R 4, PF_W 2, PF_X 1. */
  granule_protection protection; /* As the loader left it. */
} granule_segment;

uint32_t granule_image_segment_count(const granule_image* image);
/* OUT_OF_RANGE when index >= the count. */
granule_status granule_image_segment(const granule_image* image, uint32_t index,
                                     granule_segment* segment);

typedef struct granule_dynamic_entry {
  int64_t tag;
  uint64_t value;
  /* For an address inside the loaded segments: where it points now. */
  const void* pointer;
} granule_dynamic_entry;

/* Up to, not including, DT_NULL. */
uint32_t granule_image_dynamic_count(const granule_image* image);
granule_status granule_image_dynamic(const granule_image* image, uint32_t index,
                                     granule_dynamic_entry* entry);

/* The loaded bytes of an allocated section; NOT_FOUND when there is none,
 * FAILED_PRECONDITION when the load skipped the section table.
 * With map_whole_file, any other section that has bytes in the file too
 * (.shstrtab, debug sections), read-only, in place. */
granule_status granule_image_section(const granule_image* image,
                                     const char* name, const void** data,
                                     uint64_t* size);

/* With map_whole_file: the whole file's bytes, in place and read-only
 * (*data is granule_image_base(image), *size the file's size when loaded).
 * FAILED_PRECONDITION for an image loaded without it. */
granule_status granule_image_file_bytes(const granule_image* image,
                                        const void** data, uint64_t* size);

/* ---- The registry ---- */

/* The loaded image whose memory holds `address`, or NULL (no error text).
 * Valid until that image is released: a caller that releases images on
 * other threads orders the two itself.
 * Lock-free, allocation-free and async-signal-safe: callable from a signal
 * handler (a SIGSEGV handler asking whose page faulted) and while other
 * threads load and release images. It never waits for a load or release. */
const granule_image* granule_find_image(const void* address);
/* How many images are loaded in this process. Async-signal-safe, as
 * granule_find_image. */
uint64_t granule_loaded_image_count(void);
/* The loaded images, by address, from one consistent moment: copies up to
 * `capacity` handles into `images` (NULL when capacity is 0) and returns how
 * many are loaded, which may exceed `capacity`. Async-signal-safe, as
 * granule_find_image; the handles are valid until released. */
uint64_t granule_loaded_images(const granule_image** images,
                               uint64_t capacity);

/* ---- An address arena for loads one at a time ---- */

/* For a runtime that wants its images together in address space reserved
 * once, 64 MiB at a time, with no access and no memory, from which each
 * load given the arena (granule_load_options.arena) carves its range.
 * Reserves nothing until the first load; thread-safe. Not a speed-up on
 * Linux: see granule_load_options.arena. */
typedef struct granule_arena granule_arena;
granule_status granule_arena_new(granule_arena** arena);
/* The caller's hold on the arena ends; images loaded into it keep it until
 * the last is released. NULL is ignored. */
void granule_arena_release(granule_arena* arena);
/* Address space the arena holds, and how much of it live images use. */
typedef struct granule_arena_usage {
  uint64_t reserved_bytes;
  uint64_t used_bytes;
  uint64_t live_images;
} granule_arena_usage;
granule_status granule_arena_usage_get(const granule_arena* arena,
                                       granule_arena_usage* usage);

/* ---- Loading many images at once ---- */

/* Loads each of paths[0..count) as granule_load would with `options` (NULL:
 * the defaults; options->arena, if set, holds every image) and joins the
 * registry once. Each file fails alone: images[i] is its image or NULL,
 * statuses[i] its status, and granule_load_many_error(i) its error text,
 * which names the file. Returns GRANULE_OK when every file loaded, else the
 * first failure's status (granule_last_error says how many failed and names
 * the first). Release each image with granule_image_release. */
granule_status granule_load_many(const char* const* paths, size_t count,
                                 const granule_load_options* options,
                                 granule_image** images,
                                 granule_status* statuses);
/* The error text of file `index` in this thread's last granule_load_many, ""
 * when it loaded or no such file; valid until the next granule_load_many on
 * this thread. */
const char* granule_load_many_error(size_t index);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRANULE_H_ */
