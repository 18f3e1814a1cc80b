// SPDX-License-Identifier: Apache-2.0
// Loading an image: the shared path (the file mapped, read-only pages shared
// through the page cache, writable ones private copy-on-write) when this
// machine's page size and allocation granularity divide every segment's
// alignment, else the malloc path (a heap copy), with the reason stated.
#ifndef GRANULE_LOADER_LOADED_IMAGE_H_
#define GRANULE_LOADER_LOADED_IMAGE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "loader/elf/elf_image.h"
#include "loader/image_cache.h"
#include "loader/load_plan.h"
#include "loader/load_verdict.h"
#include "platform/memory/address_arena.h"
#include "platform/memory/memory_backend.h"

namespace granule {

enum class LoadPath { kShared, kMalloc };
const char* LoadPathName(LoadPath path);  // "shared", "malloc"

class LoadedImage;

struct LoadOptions {
  enum class PathChoice {
    kAuto,    // Shared when the geometry allows, else malloc.
    kShared,  // Shared or an error: for callers that need page sharing.
    kMalloc,  // Always the heap copy.
  };
  PathChoice path = PathChoice::kAuto;
  // Backends for the two paths; null means this machine's and the heap's.
  // Tests pass simulated backends to reproduce other machines.
  MemoryBackend* shared_backend = nullptr;
  MemoryBackend* malloc_backend = nullptr;
  // A backend made for this one load (an InPlaceBackend over the caller's
  // buffer), kept by the image until its memory is released.
  std::shared_ptr<MemoryBackend> owned_backend;
  // Make PF_X segments executable. Off by default: bytecode images such as
  // Guile's never need it.
  bool allow_execute = false;
  // Relocate as if the image's address 0 were here instead of where it is
  // loaded: for inspecting an ELF32 image on a 64-bit host, or comparing
  // loads byte for byte.
  std::optional<uint64_t> relocation_base;
  // Runs after relocation and final protections, before the image is
  // returned (Guile runs its DT_INIT bytecode at this point). An error fails
  // the load and releases everything.
  std::function<absl::Status(const LoadedImage&)> init;
  // Refuse images whose segments span more than this.
  uint64_t max_image_size = uint64_t{1} << 30;
  // On the shared path, read the file's bytes instead of mapping them: each
  // file range becomes zero-filled private memory into which the segments'
  // file bytes are read (File::ReadAt; padding stays untouched zero pages),
  // then given the protection the mapping would have had. The layout and the
  // hardware-enforced protections are the shared path's, but the image no
  // longer depends on the file: truncating or rewriting it in place later
  // cannot raise SIGBUS or change a loaded byte. The cost: no page is shared
  // with other processes, and every segment byte is read at load. See
  // docs/design.md, "Files that change underneath". The malloc path always
  // copies.
  bool copy_file_bytes = false;
  // Fault in the file-backed writable pages (what relocations write) in one
  // call before relocating, instead of one page fault per page written
  // (Region::Populate: MADV_POPULATE_WRITE on Linux 5.14+). Bytes and
  // protections are the same either way. Off by default: it pays for every
  // writable page, written or not, and only wins when relocations touch
  // most of them; docs/benchmarks.md (populate_bench) has the figures. An error from
  // it fails the load.
  bool populate_writable = false;
  // Map (or, on the malloc path and with copy_file_bytes, copy) the whole
  // file, from offset 0 to its end, not only the PT_LOAD segments: sections
  // no PT_LOAD holds (.shstrtab, debug or metadata sections) are then
  // readable in place at base() + their offset, as Guile's own loader
  // leaves them. The 1:1 layout only (InvalidArgument otherwise). Bytes
  // outside the segments stay read-only, except where they share a page
  // with a writable segment.
  bool map_whole_file = false;
  // Read the section header table and its names (SectionTable in loader/elf/
  // elf_image.h). Off, the load makes two reads fewer and keeps no section
  // table (about 90 bytes a section), SectionBytes() answers
  // FailedPrecondition, and map_whole_file refuses a .bss over file bytes it
  // can no longer tell are a section's or padding. For callers that read
  // their sections from the mapped file themselves, as Guile does. A load
  // with a cache directory reads the table all the same: a re-laid-out copy
  // must move the sections too.
  bool read_section_table = true;
  // Carve the shared path's address range from this arena instead of
  // reserving one per load (platform/memory/address_arena.h): one mapping call
  // fewer per load, and a released image's range is reused by the next.
  // Used when the arena's backend is the one the shared path runs on; the
  // malloc path ignores it. The image keeps the arena alive.
  std::shared_ptr<AddressArena> arena;
  // When the shared path advises a whole-file mapping's pages (loader/
  // read_advice.h: keeps the 1:1 layout's padding out of the page cache).
  enum class ReadAdvice {
    // Unless the file's first bytes came from the page cache as its headers
    // were read (File::ReadAtIfCached, no call of its own). A warm file is
    // taken to have been loaded, and advised, or read before: advising it
    // again costs up to one call per segment and keeps nothing out. A file
    // of which only the first page was read since it was last cold loses the
    // advice: its padding may then be read around. LoadImage(file, elf)
    // cannot tell, and advises.
    kWhenCold,
    kAlways,
  };
  ReadAdvice read_advice = ReadAdvice::kWhenCold;
  // With cache.directory set, an image the shared path refuses because of
  // its file offsets or p_align is re-laid out for this machine into that
  // directory once, and the copy is mapped on the shared path
  // (loader/image_cache.h has the checks and what it cannot fix). When the
  // cache cannot help or cannot be written, the load goes on as without
  // it, and reason() says why. Off (empty) by default.
  ImageCacheOptions cache;
};

namespace internal {
// LoadImage of an open file: reads its headers, probing the page cache
// (LoadOptions::read_advice), and loads it. Unless `register_now`, the
// caller registers the image (RegisterAll).
absl::StatusOr<std::unique_ptr<LoadedImage>> ReadAndLoad(
    const File& file, const LoadOptions& options, bool register_now);
// LoadImage of an open file whose headers were read, told whether the
// file's first bytes came from the page cache (LoadOptions::read_advice).
// Unless `register_now`, the caller registers the image (RegisterAll).
absl::StatusOr<std::unique_ptr<LoadedImage>> LoadOpenImage(
    const File& file, ElfImage elf, const LoadOptions& options,
    bool file_was_cached, bool register_now = true);
// The shared path's geometry when, under `options`, it would not map `elf`
// from `file` whole, so that a copy re-laid out for it may do better; none
// when it would, when the heap copy was asked for, or when no plan is
// possible at all (the load then says why).
std::optional<PageGeometry> GeometryNotMappedWhole(const File& file,
                                                   const ElfImage& elf,
                                                   const LoadOptions& options);
// LoadOpenImage with LoadOptions::cache set: maps the cached copy when the
// shared path would not map `file` whole and the cache can help, else loads
// `file`.
absl::StatusOr<std::unique_ptr<LoadedImage>> LoadThroughCache(
    const File& file, ElfImage elf, const LoadOptions& options,
    bool file_was_cached, bool register_now);
// Registers loaded, unregistered images in one registry update.
void RegisterAll(const std::vector<LoadedImage*>& images);
}  // namespace internal

class LoadedImage {
 public:
  struct LoadedSegment {
    const Segment* header;
    uint8_t* data;          // Address of p_vaddr.
    uint64_t size;          // p_memsz.
    Protection protection;  // As set by the loader, after relocation.
  };
  struct ResolvedEntry {
    int64_t tag;
    uint64_t value;
    // For address-valued tags whose value lies inside the loaded segments:
    // where it points now. Null otherwise.
    const uint8_t* pointer;
  };

  LoadedImage(const LoadedImage&) = delete;
  LoadedImage& operator=(const LoadedImage&) = delete;
  ~LoadedImage();  // Leaves the registry, then releases the memory.

  const ElfImage& elf() const { return elf_; }
  LoadPath path() const { return path_; }
  // The route taken on the shared path's geometry and why, as data.
  const LoadVerdict& verdict() const { return verdict_; }
  // Why this path, in words: the verdict's reason, then the options that
  // changed how the bytes arrived (copy_file_bytes, map_whole_file, ...).
  // Put into words on the first call, not at every load.
  const std::string& reason() const;
  // True when the file's bytes were read into private memory at load (the
  // malloc path, or the shared path with LoadOptions::copy_file_bytes), so
  // later changes to the file cannot reach the image.
  bool file_bytes_copied() const { return file_bytes_copied_; }
  const MemoryBackend& backend() const { return region_.backend(); }

  // Where image address 0 is (the load bias). Image addresses become
  // pointers by adding it.
  uintptr_t base() const { return base_; }
  uintptr_t begin() const { return region_.base(); }
  uintptr_t end() const { return region_.base() + span_; }
  bool Contains(uintptr_t address) const {
    return address >= begin() && address < end();
  }
  // A pointer to [address, address + size) of the image, or null when that
  // is not inside one PT_LOAD's memory.
  uint8_t* Pointer(uint64_t address, uint64_t size = 1) const;

  // With LoadOptions::map_whole_file, the whole file's bytes, in place
  // (offset 0 at base()); empty otherwise.
  absl::Span<const uint8_t> file_bytes() const;

  absl::Span<const LoadedSegment> segments() const { return segments_; }
  std::vector<ResolvedEntry> dynamic() const;
  // The loaded bytes of an allocated section, or NotFound.
  absl::StatusOr<absl::Span<const uint8_t>> SectionBytes(
      const std::string& name) const;
  // What the memory backend records for the page holding `address`; on the
  // shared path that is what the hardware enforces.
  Protection ProtectionAt(uintptr_t address) const;
  size_t relocations_applied() const { return relocations_applied_; }

  // A pointer the embedding runtime keeps with the image (its own record of
  // the module); granule never reads it. Atomic, so a signal handler that
  // found the image may read it while another thread sets it.
  void* user_data() const { return user_data_.load(std::memory_order_acquire); }
  void set_user_data(void* data) {
    user_data_.store(data, std::memory_order_release);
  }

 private:
  friend absl::StatusOr<std::unique_ptr<LoadedImage>> internal::LoadOpenImage(
      const File& file, ElfImage elf, const LoadOptions& options,
      bool file_was_cached, bool register_now);
  friend void internal::RegisterAll(const std::vector<LoadedImage*>& images);
  friend absl::StatusOr<std::unique_ptr<LoadedImage>>
  internal::LoadThroughCache(const File& file, ElfImage elf,
                             const LoadOptions& options, bool file_was_cached,
                             bool register_now);
  LoadedImage(ElfImage&& elf, Region&& region, uint64_t load_start,
              uint64_t span, LoadPath path, LoadVerdict&& verdict,
              std::string&& options_noted, bool file_bytes_copied);

  ElfImage elf_;
  // Declared before region_ so that it outlives it (LoadOptions).
  std::shared_ptr<MemoryBackend> owned_backend_;
  Region region_;
  uintptr_t base_;
  uint64_t span_;
  LoadPath path_;
  LoadVerdict verdict_;
  // What reason() adds after the verdict's own words; empty for a load with
  // default options.
  std::string options_noted_;
  mutable absl::once_flag reason_once_;
  mutable std::string reason_;
  bool file_bytes_copied_;
  absl::InlinedVector<LoadedSegment, 4> segments_;  // One per PT_LOAD.
  size_t relocations_applied_ = 0;
  bool registered_ = false;
  bool whole_file_ = false;
  std::atomic<void*> user_data_{nullptr};
};

// Reads, checks, maps, relocates and registers the image at `path`. Errors
// name the file, the field and the value; on error nothing stays mapped.
absl::StatusOr<std::unique_ptr<LoadedImage>> LoadImage(
    const std::string& path, const LoadOptions& options = {});
// The same for a file already open: File::OpenForReading's, or a window of a
// descriptor (the C API's granule_load_fd). The file may be closed after.
absl::StatusOr<std::unique_ptr<LoadedImage>> LoadImage(
    const File& file, const LoadOptions& options);
// The same for a file already open and read (the ELF headers of `file`).
absl::StatusOr<std::unique_ptr<LoadedImage>> LoadImage(
    const File& file, ElfImage elf, const LoadOptions& options = {});

// Which route LoadImage would take for `elf` on `geometry` (`PathChoice::kAuto`)
// and why, without mapping anything: the heart of `granule check`. An error
// (InvalidArgument) means no route loads it; its text does not name the file.
absl::StatusOr<LoadVerdict> CheckLoad(const ElfImage& elf,
                                      const PageGeometry& geometry);

}  // namespace granule

#endif  // GRANULE_LOADER_LOADED_IMAGE_H_
