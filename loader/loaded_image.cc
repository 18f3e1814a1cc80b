// SPDX-License-Identifier: Apache-2.0
#include "loader/loaded_image.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/image_registry.h"
#include "loader/path_decision.h"
#include "loader/read_advice.h"
#include "loader/relocator.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

absl::Status ProtectAll(Region& region, absl::Span<const ProtectStep> steps) {
  for (const ProtectStep& p : steps) {
    GRANULE_RETURN_IF_ERROR(region.Protect(p.offset, p.length, p.protection));
  }
  return absl::OkStatus();
}

// A file range as LoadOptions::copy_file_bytes places it: the same pages as
// the mapping, but private zero-filled memory into which the segments' file
// bytes are read. Only those: the padding between segments stays untouched
// zero pages, never read from disk nor made resident.
absl::Status CopyFileRange(Region& region, const File& file,
                           const ElfImage& elf, const MapStep& m,
                           bool whole_file) {
  absl::Status s = region.MapZeroed(m.offset, m.length, Protection::kReadWrite);
  if (!s.ok()) return s;
  const uint64_t range_end = m.file_offset + m.length;
  // LoadOptions::map_whole_file: every byte of the range, gaps included.
  const uint64_t whole_end = std::min(range_end, file.size());
  if (whole_file && whole_end > m.file_offset) {
    s = file.ReadAt(m.file_offset, absl::MakeSpan(region.data() + m.offset,
                                                  whole_end - m.file_offset));
    if (!s.ok()) return s;
  }
  for (const Segment* segment : elf.LoadSegments()) {
    if (whole_file) break;  // Read above.
    // The reader checked offset + filesz against the file's size.
    const uint64_t begin = std::max(segment->offset, m.file_offset);
    const uint64_t end = std::min(segment->offset + segment->filesz, range_end);
    if (begin >= end) continue;
    s = file.ReadAt(begin, absl::MakeSpan(region.data() + m.offset +
                                              (begin - m.file_offset),
                                          end - begin));
    if (!s.ok()) return s;
  }
  if (m.protection == Protection::kReadWrite) return absl::OkStatus();
  return region.Protect(m.offset, m.length, m.protection);
}

// MapStep::copy_segments: zero-filled memory, then each segment's file
// bytes inside the range read to their addresses.
absl::Status CopySegments(Region& region, const File& file,
                          const ElfImage& elf, const MapStep& m,
                          uint64_t load_start) {
  absl::Status s = region.MapZeroed(m.offset, m.length, Protection::kReadWrite);
  if (!s.ok()) return s;
  const uint64_t lo = load_start + m.offset, hi = lo + m.length;
  for (const Segment* segment : elf.LoadSegments()) {
    const uint64_t begin = std::max(segment->vaddr, lo);
    const uint64_t end = std::min(segment->vaddr + segment->filesz, hi);
    if (begin >= end) continue;
    s = file.ReadAt(segment->offset + (begin - segment->vaddr),
                    absl::MakeSpan(region.data() + (begin - load_start),
                                   end - begin));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// LoadOptions::populate_writable: the file pages writable at relocation time,
// whether mapped writable or made writable for the load. Zero-filled memory
// (.bss) is left to fault in when used.
absl::Status PopulateWritable(Region& region, const LoadPlan& plan) {
  for (const MapStep& m : plan.maps) {
    if (!m.from_file || m.protection != Protection::kReadWrite) continue;
    GRANULE_RETURN_IF_ERROR(region.Populate(m.offset, m.length));
  }
  for (const ProtectStep& p : plan.writable_during_load) {
    GRANULE_RETURN_IF_ERROR(region.Populate(p.offset, p.length));
  }
  return absl::OkStatus();
}

// Everything up to relocation that touches memory, in plan order, from
// the plan's step `first_step` (those before it are mapped already).
absl::Status MapAll(Region& region, const File& file, const ElfImage& elf,
                    const LoadPlan& plan, size_t first_step,
                    bool copy_file_bytes, bool populate_writable,
                    bool whole_file, bool advise) {
  for (size_t i = 0; i < plan.maps.size(); ++i) {
    const MapStep& m = plan.maps[i];
    absl::Status s =
        i < first_step    ? absl::OkStatus()
        : m.copy_segments ? CopySegments(region, file, elf, m, plan.load_start)
        : !m.from_file    ? region.MapZeroed(m.offset, m.length, m.protection)
        : copy_file_bytes ? CopyFileRange(region, file, elf, m, whole_file)
                          : region.MapFile(m.offset, file, m.file_offset,
                                           m.length, m.protection);
    if (!s.ok()) return s;
    if (m.from_file && !copy_file_bytes && advise) {
      // A hint: if the system refuses it the image is still right, only its
      // padding may be paged in, so the load goes on.
      AdviseSegmentsOnly(region, elf, m).IgnoreError();
    }
  }
  GRANULE_RETURN_IF_ERROR(ProtectAll(region, plan.writable_during_load));
  if (populate_writable) {
    GRANULE_RETURN_IF_ERROR(PopulateWritable(region, plan));
  }
  for (const ByteRange& z : plan.zero_fills) {
    std::memset(region.data() + z.offset, 0, z.length);
  }
  return absl::OkStatus();
}

struct PlacedRegion {
  Region region;
  size_t steps_mapped;  // Of the plan's maps, done with the reservation.
};

// The plan's region: a slot of the arena when the load has one for this
// backend; else a reservation, made together with the first mapping where
// that is a file mapping at the region's start (ReserveMappingFile: on
// POSIX, one mmap with no reservation to split).
absl::StatusOr<PlacedRegion> PlaceRegion(const LoadPlan& plan,
                                         const File& file,
                                         MemoryBackend& backend,
                                         const LoadOptions& options,
                                         bool copy_file_bytes) {
  if (options.arena != nullptr && &options.arena->backend() == &backend) {
    GRANULE_ASSIGN_OR_RETURN(Region slot,
                             options.arena->Reserve(plan.span, plan.alignment));
    return PlacedRegion{std::move(slot), 0};
  }
  const MapStep* first = plan.maps.empty() ? nullptr : &plan.maps.front();
  if (first == nullptr || !first->from_file || first->copy_segments ||
      first->offset != 0 || copy_file_bytes) {
    GRANULE_ASSIGN_OR_RETURN(Region region,
                             backend.Reserve(plan.span, plan.alignment));
    return PlacedRegion{std::move(region), 0};
  }
  GRANULE_ASSIGN_OR_RETURN(
      Region region,
      backend.ReserveMappingFile(plan.span, plan.alignment, file,
                                 first->file_offset, first->length,
                                 first->protection));
  return PlacedRegion{std::move(region), 1};
}

// The backend's errors name the call, address and length but not the image:
// say which file the load was for.
absl::Status NamingFile(const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(path, ": ", status.message()));
}

}  // namespace

const char* LoadPathName(LoadPath path) {
  return path == LoadPath::kShared ? "shared" : "malloc";
}

LoadedImage::LoadedImage(ElfImage&& elf, Region&& region,
                         uint64_t load_start, uint64_t span, LoadPath path,
                         LoadVerdict&& verdict, std::string&& options_noted,
                         bool file_bytes_copied)
    : elf_(std::move(elf)),
      region_(std::move(region)),
      base_(region_.base() - load_start),
      span_(span),
      path_(path),
      verdict_(std::move(verdict)),
      options_noted_(std::move(options_noted)),
      file_bytes_copied_(file_bytes_copied) {}

const std::string& LoadedImage::reason() const {
  absl::call_once(reason_once_,
                  [this] { reason_ = verdict_.Reason() + options_noted_; });
  return reason_;
}

LoadedImage::~LoadedImage() {
  if (registered_) ImageRegistry::Global().Remove(this);
}

uint8_t* LoadedImage::Pointer(uint64_t address, uint64_t size) const {
  ImageMemory memory(elf_, region_.data(), begin() - base_);
  absl::StatusOr<uint8_t*> p = memory.At(address, size, false, "address");
  return p.ok() ? *p : nullptr;
}

absl::Span<const uint8_t> LoadedImage::file_bytes() const {
  if (!whole_file_) return {};
  // The plan put file offset 0 at the region's start (PlanOptions::span_file).
  return absl::Span<const uint8_t>(region_.data(), elf_.file_size);
}

std::vector<LoadedImage::ResolvedEntry> LoadedImage::dynamic() const {
  std::vector<ResolvedEntry> entries;
  for (const DynamicEntry& e : elf_.dynamic) {
    const uint8_t* pointer = IsAddressTag(e.tag) ? Pointer(e.value) : nullptr;
    entries.push_back({e.tag, e.value, pointer});
  }
  return entries;
}

absl::StatusOr<absl::Span<const uint8_t>> LoadedImage::SectionBytes(
    const std::string& name) const {
  if (!elf_.section_table_read) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: no section table to find '%s' in: the load skipped it",
        elf_.path, name));
  }
  const Section* section = elf_.FindSection(name);
  if (section == nullptr || !section->allocated()) {
    return absl::NotFoundError(absl::StrFormat(
        "%s: no allocated section named '%s'", elf_.path, name));
  }
  if (section->size == 0) return absl::Span<const uint8_t>();
  const uint8_t* p = Pointer(section->addr, section->size);
  if (p == nullptr) {
    return absl::NotFoundError(absl::StrFormat(
        "%s: section '%s' at 0x%x (0x%x bytes) is not inside a PT_LOAD",
        elf_.path, name, section->addr, section->size));
  }
  return absl::Span<const uint8_t>(p, section->size);
}

Protection LoadedImage::ProtectionAt(uintptr_t address) const {
  if (!Contains(address)) return Protection::kNone;
  return region_.ProtectionAt(address - begin());
}

absl::StatusOr<std::unique_ptr<LoadedImage>> LoadImage(
    const std::string& path, const LoadOptions& options) {
  GRANULE_ASSIGN_OR_RETURN(File file, File::OpenForReading(path));
  return LoadImage(file, options);
}

absl::StatusOr<std::unique_ptr<LoadedImage>> LoadImage(
    const File& file, const LoadOptions& options) {
  return internal::ReadAndLoad(file, options, /*register_now=*/true);
}

absl::StatusOr<std::unique_ptr<LoadedImage>> internal::ReadAndLoad(
    const File& file, const LoadOptions& options, bool register_now) {
  bool warm = false;
  const bool skip_sections =
      !options.read_section_table && options.cache.directory.empty();
  absl::StatusOr<ElfImage> elf = ReadElfImage(
      file, &warm, skip_sections ? SectionTable::kSkip : SectionTable::kRead);
  if (!elf.ok()) return elf.status();
  return LoadOpenImage(file, *std::move(elf), options, warm, register_now);
}

absl::StatusOr<std::unique_ptr<LoadedImage>> LoadImage(
    const File& file, ElfImage elf, const LoadOptions& options) {
  return internal::LoadOpenImage(file, std::move(elf), options,
                                 /*file_was_cached=*/false);
}

absl::StatusOr<std::unique_ptr<LoadedImage>> internal::LoadOpenImage(
    const File& file, ElfImage elf, const LoadOptions& options,
    bool file_was_cached, bool register_now) {
  if (!options.cache.directory.empty()) {
    return LoadThroughCache(file, std::move(elf), options, file_was_cached,
                            register_now);
  }
  absl::StatusOr<internal::PathDecision> decision =
      internal::DecidePath(elf, file.window_start(), options);
  if (!decision.ok()) return NamingFile(elf.path, decision.status());
  const LoadPlan& plan = decision->plan;
  // The malloc path reads the file anyway; copying matters on the shared one.
  const bool copy =
      options.copy_file_bytes && decision->path == LoadPath::kShared;
  absl::StatusOr<PlacedRegion> placed =
      PlaceRegion(plan, file, *decision->backend, options, copy);
  if (!placed.ok()) return NamingFile(elf.path, placed.status());
  const bool advise = options.read_advice == LoadOptions::ReadAdvice::kAlways ||
                      !file_was_cached;
  if (absl::Status s = MapAll(placed->region, file, elf, plan,
                              placed->steps_mapped, copy,
                              options.populate_writable, options.map_whole_file,
                              advise);
      !s.ok()) {
    return NamingFile(elf.path, s);
  }
  std::string options_noted;
  if (copy) {
    // Read, not mapped: nothing of this load is shared.
    decision->verdict.bytes_copied += decision->verdict.bytes_mapped;
    decision->verdict.bytes_mapped = 0;
    absl::StrAppend(&options_noted,
                    "; file bytes copied, not mapped (copy_file_bytes)");
  }
  if (options.map_whole_file) {
    absl::StrAppend(&options_noted, "; the whole file ",
                    decision->path == LoadPath::kMalloc || copy ? "copied"
                                                                : "mapped",
                    " (map_whole_file)");
  }
  // Heap memory is present already; populating matters on the shared path.
  if (options.populate_writable && decision->path == LoadPath::kShared) {
    absl::StrAppend(&options_noted,
                    "; writable pages populated before relocation "
                    "(populate_writable)");
  }

  // From here the image owns the region, so every early return releases it.
  std::unique_ptr<LoadedImage> image(
      new LoadedImage(std::move(elf), std::move(placed->region),
                      plan.load_start,
                      plan.span, decision->path, std::move(decision->verdict),
                      std::move(options_noted),
                      copy || decision->path == LoadPath::kMalloc));
  image->owned_backend_ = options.owned_backend;
  const ImageMemory memory(image->elf_, image->region_.data(), plan.load_start);
  SharedLoadAids aids;
  if (decision->path == LoadPath::kShared && !copy) {
    aids.mapped_file = &file;
    if (!options.populate_writable) aids.populate = &image->region_;
  }
  absl::StatusOr<size_t> applied = ApplyRelocations(
      memory, options.relocation_base.value_or(image->base_), aids);
  if (!applied.ok()) return applied.status();
  image->relocations_applied_ = *applied;
  image->whole_file_ = options.map_whole_file;
  if (absl::Status s = ProtectAll(image->region_, plan.final_protections);
      !s.ok()) {
    return NamingFile(image->elf_.path, s);
  }
  const LoadSegmentList loads = image->elf_.LoadSegments();
  image->segments_.reserve(loads.size());
  for (const Segment* s : loads) {
    // The plan's region holds every PT_LOAD at its address less load_start.
    uint8_t* at = image->region_.data() + (s->vaddr - plan.load_start);
    image->segments_.push_back({s, at, s->memsz,
                                FinalProtection(*s, options.allow_execute)});
  }
  if (options.init) {
    GRANULE_RETURN_IF_ERROR(options.init(*image));
  }
  if (register_now) {
    ImageRegistry::Global().Add(image.get());
    image->registered_ = true;
  }
  return image;
}

void internal::RegisterAll(const std::vector<LoadedImage*>& images) {
  ImageRegistry::Global().AddAll(
      std::vector<const LoadedImage*>(images.begin(), images.end()));
  for (LoadedImage* image : images) image->registered_ = true;
}


}  // namespace granule
