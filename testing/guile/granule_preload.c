/* SPDX-License-Identifier: Apache-2.0 */
/* An LD_PRELOAD library that puts Debian's unmodified Guile on granule.
 *
 * libguile maps each compiled .go file with one call through the PLT,
 * mmap(NULL, file_size, PROT_READ, MAP_PRIVATE, fd, 0), then checks the ELF
 * headers, mprotects its writable segment, runs the init code and registers
 * [base, base + file_size) for its debugger and its GC. This library answers
 * that one call with an image granule loaded from the same fd, the whole
 * file visible at the image's base, and passes every other call to the next
 * definition (libc's).
 *
 * Environment:
 *   GRANULE_PRELOAD_PATH    auto (default), shared, malloc (the heap copy a
 *                           machine whose page size breaks the 64 KiB
 *                           invariant gets), or off (count the files only).
 *   GRANULE_PRELOAD_REPORT  unset: silent. "-" : one line on stderr at exit.
 *                           Else a file the line is appended to at exit.
 * The line: granule-preload: mode=M loaded=N shared=N malloc=N refused=N
 *   passed=N mprotect_kept=N released=N pid=P
 * "refused" counts ELF files granule would not load (each also named on
 * stderr, with the library's reason); Guile then gets libc's mapping.
 * "passed" counts the ELF files mode=off gave to libc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "capi/granule.h"

typedef void* (*MmapFunction)(void*, size_t, int, int, int, off_t);
typedef int (*MunmapFunction)(void*, size_t);
typedef int (*MprotectFunction)(void*, size_t, int);

static MmapFunction real_mmap;
static MunmapFunction real_munmap;
static MprotectFunction real_mprotect;

enum Mode { kModeAuto, kModeShared, kModeMalloc, kModeOff };
static enum Mode mode = kModeAuto;
static const char* const kModeNames[] = {"auto", "shared", "malloc", "off"};

/* Set while granule itself runs on this thread: its own mmap, mprotect and
 * munmap calls reach this library too (it is first in the search order) and
 * must go straight to libc. initial-exec: no allocation on first access. */
static __thread int inside_granule __attribute__((tls_model("initial-exec")));

/* The images this library handed out, sorted by begin, so that munmap and
 * mprotect (which the GC also calls, often) find theirs by binary search. */
typedef struct Entry {
  uintptr_t begin, end;
  granule_image* image;
} Entry;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static Entry* table;
static size_t table_count, table_capacity;
/* Cheap rejection for calls far from every image. */
static uintptr_t table_low = UINTPTR_MAX, table_high;

static struct {
  uint64_t loaded, shared, malloc_path, refused, passed, mprotect_kept,
      released;
} counts;

static void ResolveRealFunctions(void) {
  real_mmap = (MmapFunction)dlsym(RTLD_NEXT, "mmap");
  real_munmap = (MunmapFunction)dlsym(RTLD_NEXT, "munmap");
  real_mprotect = (MprotectFunction)dlsym(RTLD_NEXT, "mprotect");
  if (!real_mmap || !real_munmap || !real_mprotect) {
    fprintf(stderr, "granule_preload: dlsym(RTLD_NEXT) found no libc mmap\n");
    _exit(127);
  }
}

static enum Mode ParseMode(void) {
  const char* value = getenv("GRANULE_PRELOAD_PATH");
  if (value == NULL || *value == '\0') return kModeAuto;
  for (int i = 0; i < 4; ++i) {
    if (strcmp(value, kModeNames[i]) == 0) return (enum Mode)i;
  }
  fprintf(stderr,
          "granule_preload: GRANULE_PRELOAD_PATH=\"%s\" is not auto, shared, "
          "malloc or off\n",
          value);
  _exit(2);
}

static void Report(void) {
  const char* target = getenv("GRANULE_PRELOAD_REPORT");
  if (target == NULL || *target == '\0') return;
  char line[320];
  int length = snprintf(
      line, sizeof line,
      "granule-preload: mode=%s loaded=%llu shared=%llu malloc=%llu "
      "refused=%llu passed=%llu mprotect_kept=%llu released=%llu pid=%d\n",
      kModeNames[mode], (unsigned long long)counts.loaded,
      (unsigned long long)counts.shared, (unsigned long long)counts.malloc_path,
      (unsigned long long)counts.refused, (unsigned long long)counts.passed,
      (unsigned long long)counts.mprotect_kept,
      (unsigned long long)counts.released, (int)getpid());
  if (length <= 0) return;
  if ((size_t)length >= sizeof line) length = sizeof line - 1;
  /* One write with O_APPEND: concurrent processes' lines do not mix. */
  int fd = strcmp(target, "-") == 0
               ? STDERR_FILENO
               : open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "granule_preload: GRANULE_PRELOAD_REPORT=\"%s\": %s\n",
            target, strerror(errno));
    return;
  }
  if (write(fd, line, (size_t)length) != length) {
    fprintf(stderr, "granule_preload: writing the report to \"%s\": %s\n",
            target, strerror(errno));
  }
  if (fd != STDERR_FILENO) close(fd);
}

__attribute__((constructor)) static void Start(void) {
  ResolveRealFunctions();
  mode = ParseMode();
}

__attribute__((destructor)) static void Finish(void) { Report(); }

/* Index of the entry holding `address`, or -1. Under table_lock. */
static long FindLocked(uintptr_t address) {
  size_t low = 0, high = table_count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (address < table[middle].begin) {
      high = middle;
    } else if (address >= table[middle].end) {
      low = middle + 1;
    } else {
      return (long)middle;
    }
  }
  return -1;
}

static int Remember(uintptr_t begin, uintptr_t end, granule_image* image) {
  pthread_mutex_lock(&table_lock);
  if (table_count == table_capacity) {
    size_t capacity = table_capacity ? table_capacity * 2 : 512;
    Entry* grown = realloc(table, capacity * sizeof *grown);
    if (grown == NULL) {
      pthread_mutex_unlock(&table_lock);
      return 0;
    }
    table = grown;
    table_capacity = capacity;
  }
  /* granule places each image below the last, so the new entry usually goes
   * first: find its place by binary search and move the rest in one block. */
  size_t low = 0, high = table_count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (table[middle].begin > begin) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  memmove(&table[low + 1], &table[low], (table_count - low) * sizeof *table);
  table[low] = (Entry){begin, end, image};
  ++table_count;
  if (begin < table_low) table_low = begin;
  if (end > table_high) table_high = end;
  pthread_mutex_unlock(&table_lock);
  return 1;
}

static int NearImages(uintptr_t address) {
  return address >= __atomic_load_n(&table_low, __ATOMIC_RELAXED) &&
         address < __atomic_load_n(&table_high, __ATOMIC_RELAXED);
}

/* Whether the fd's file starts with an ELF identification. */
static int IsElf(int fd) {
  unsigned char ident[SELFMAG];
  ssize_t got = pread(fd, ident, sizeof ident, 0);
  return got == (ssize_t)sizeof ident && memcmp(ident, ELFMAG, SELFMAG) == 0;
}

static granule_path_choice PathChoice(void) {
  switch (mode) {
    case kModeShared:
      return GRANULE_PATH_SHARED;
    case kModeMalloc:
      return GRANULE_PATH_MALLOC;
    default:
      return GRANULE_PATH_AUTO;
  }
}

/* granule's load of the file behind `fd`. No arena: each image's mapping is
 * placed on its own (one mmap where the address below the last is free),
 * which measured faster than carving ranges from one reservation. */
static granule_status LoadFd(int fd, granule_image** image) {
  granule_load_options options;
  granule_load_options_init(&options);
  options.path = PathChoice();
  /* libguile reads the sections outside PT_LOAD (debug info, arities,
   * docstrings) at base + file offset. */
  options.map_whole_file = 1;
  /* libguile finds those sections itself, in the mapping; granule's copy of
   * the table would be two reads and about 2 KB a file for nothing. */
  options.skip_section_table = 1;
  /* No name: finding the fd's path costs a system call per load, and only
   * an error needs it (FileName). */
  return granule_load_fd(fd, NULL, &options, image);
}

/* The path behind `fd`, for messages. */
static const char* FileName(int fd, char* buffer, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t length = readlink(link, buffer, size - 1);
  if (length < 0) {
    snprintf(buffer, size, "fd %d", fd);
  } else {
    buffer[length] = '\0';
  }
  return buffer;
}

/* The end of the file's bytes as mapped from the image's base on. */
static uintptr_t VisibleEnd(const granule_image* image) {
  const void* data = NULL;
  uint64_t size = 0;
  if (granule_image_file_bytes(image, &data, &size) != GRANULE_OK) {
    return granule_image_base(image);
  }
  return (uintptr_t)data + size;
}

/* Loads the ELF file behind `fd` for a caller that asked for `length`
 * bytes; NULL when granule refused it (the reason is on stderr). */
static void* LoadThroughGranule(int fd, size_t length) {
  granule_image* image = NULL;
  inside_granule = 1;
  granule_status status = LoadFd(fd, &image);
  inside_granule = 0;
  if (status != GRANULE_OK) {
    __atomic_add_fetch(&counts.refused, 1, __ATOMIC_RELAXED);
    char name[4096];
    fprintf(stderr, "granule_preload: %s: %s; mapped by libc instead\n",
            FileName(fd, name, sizeof name), granule_last_error());
    return NULL;
  }
  const uintptr_t base = granule_image_base(image);
  const uintptr_t end = VisibleEnd(image);
  const uintptr_t begin = granule_image_begin(image);
  const uintptr_t last = granule_image_end(image);
  if (end - base < length ||
      !Remember(begin < base ? begin : base, last > end ? last : end, image)) {
    __atomic_add_fetch(&counts.refused, 1, __ATOMIC_RELAXED);
    char name[4096];
    fprintf(stderr,
            "granule_preload: %s: %llu bytes wanted, %llu visible at the "
            "base; mapped by libc instead\n",
            FileName(fd, name, sizeof name), (unsigned long long)length,
            (unsigned long long)(end - base));
    inside_granule = 1;
    granule_image_release(image);
    inside_granule = 0;
    return NULL;
  }
  __atomic_add_fetch(&counts.loaded, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(granule_image_path(image) == GRANULE_LOADED_SHARED
                         ? &counts.shared
                         : &counts.malloc_path,
                     1, __ATOMIC_RELAXED);
  return (void*)base;
}

void* mmap(void* address, size_t length, int protection, int flags, int fd,
           off_t offset) {
  if (real_mmap == NULL) ResolveRealFunctions();
  /* Only libguile's call for a whole .go file has this shape. */
  if (inside_granule || address != NULL || protection != PROT_READ ||
      flags != MAP_PRIVATE || fd < 0 || offset != 0 || !IsElf(fd)) {
    return real_mmap(address, length, protection, flags, fd, offset);
  }
  if (mode != kModeOff) {
    void* loaded = LoadThroughGranule(fd, length);
    if (loaded != NULL) return loaded;
  } else {
    __atomic_add_fetch(&counts.passed, 1, __ATOMIC_RELAXED);
  }
  return real_mmap(address, length, protection, flags, fd, offset);
}

/* Whether [begin, end) lies in one segment of `image` that already has
 * `protection`: then libguile's mprotect of its writable segment has nothing
 * to do, and on the malloc path (heap memory) it must not be made. */
static int AlreadyProtected(const granule_image* image, uintptr_t begin,
                            uintptr_t end, int protection) {
  const uint32_t n = granule_image_segment_count(image);
  for (uint32_t i = 0; i < n; ++i) {
    granule_segment segment;
    if (granule_image_segment(image, i, &segment) != GRANULE_OK) return 0;
    if (begin < segment.address || end > segment.address + segment.size) {
      continue;
    }
    switch (segment.protection) {
      case GRANULE_PROT_RW:
        return protection == (PROT_READ | PROT_WRITE);
      case GRANULE_PROT_R:
        return protection == PROT_READ;
      case GRANULE_PROT_RX:
        return protection == (PROT_READ | PROT_EXEC);
      default:
        return protection == PROT_NONE;
    }
  }
  return 0;
}

int mprotect(void* address, size_t length, int protection) {
  if (real_mprotect == NULL) ResolveRealFunctions();
  const uintptr_t begin = (uintptr_t)address;
  if (!inside_granule && NearImages(begin)) {
    pthread_mutex_lock(&table_lock);
    long at = FindLocked(begin);
    int kept = at >= 0 && AlreadyProtected(table[at].image, begin,
                                           begin + length, protection);
    pthread_mutex_unlock(&table_lock);
    if (kept) {
      __atomic_add_fetch(&counts.mprotect_kept, 1, __ATOMIC_RELAXED);
      return 0;
    }
  }
  return real_mprotect(address, length, protection);
}

int munmap(void* address, size_t length) {
  if (real_munmap == NULL) ResolveRealFunctions();
  const uintptr_t begin = (uintptr_t)address;
  if (!inside_granule && NearImages(begin)) {
    granule_image* image = NULL;
    pthread_mutex_lock(&table_lock);
    long at = FindLocked(begin);
    if (at >= 0 && table[at].begin == begin) {
      image = table[at].image;
      memmove(&table[at], &table[at + 1],
              (table_count - (size_t)at - 1) * sizeof *table);
      --table_count;
    }
    pthread_mutex_unlock(&table_lock);
    if (image != NULL) {
      /* The caller's unmapping of what mmap returned: the whole image goes,
       * whatever length it names. */
      inside_granule = 1;
      granule_image_release(image);
      inside_granule = 0;
      __atomic_add_fetch(&counts.released, 1, __ATOMIC_RELAXED);
      return 0;
    }
  }
  return real_munmap(address, length);
}
