// SPDX-License-Identifier: Apache-2.0
// OpenCachedImage: the entry's key, its trailer, its checks, and building it
// with the writer's atomic, sparse write.
#include "loader/image_cache.h"

#include <algorithm>
#include <array>
#include <optional>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/elf/byte_order.h"
#include "loader/load_plan.h"
#include "platform/atomic_file/atomic_file.h"
#include "platform/cache_directory/cache_directory.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

constexpr char kMagic[8] = {'G', 'R', 'N', 'L', 'C', 'A', 'C', 'H'};
constexpr uint64_t kFormatVersion = 1;

// What an entry is for, and what it says it is for: the key's fields, then
// what the entry itself holds. Stored after the image, little-endian.
struct Trailer {
  uint64_t version = kFormatVersion;
  uint64_t page_size = 0, granularity = 0;
  FileIdentity source;
  uint64_t window_start = 0, window_size = 0;
  std::array<uint64_t, 2> content{};
  uint64_t image_size = 0;

  std::vector<uint64_t> Words() const {
    return {version,          page_size,     granularity, source.device,
            source.inode,     source.size,   uint64_t(source.mtime_ns),
            window_start,     window_size,   content[0],  content[1],
            image_size};
  }
  static constexpr size_t kBytes = sizeof(kMagic) + 12 * 8;

  std::vector<uint8_t> Encode() const {
    std::vector<uint8_t> out(kMagic, kMagic + sizeof(kMagic));
    for (uint64_t word : Words()) {
      out.resize(out.size() + 8);
      StoreUnsigned(&out[out.size() - 8], 8, false, word);
    }
    return out;
  }
  // Whether the key's fields (all but the content hash and the size) agree.
  bool SameKey(const Trailer& o) const {
    const std::vector<uint64_t> a = Words(), b = o.Words();
    return std::equal(a.begin(), a.begin() + 9, b.begin());
  }
};

std::optional<Trailer> DecodeTrailer(absl::Span<const uint8_t> in) {
  if (in.size() != Trailer::kBytes ||
      !std::equal(kMagic, kMagic + sizeof(kMagic), in.begin())) {
    return std::nullopt;
  }
  uint64_t w[12];
  for (int i = 0; i < 12; ++i) {
    w[i] = LoadUnsigned(&in[sizeof(kMagic) + 8 * i], 8, false);
  }
  Trailer t;
  t.version = w[0], t.page_size = w[1], t.granularity = w[2];
  t.source = {w[3], w[4], w[5], static_cast<int64_t>(w[6])};
  t.window_start = w[7], t.window_size = w[8];
  t.content = {w[9], w[10]};
  t.image_size = w[11];
  return t;
}

std::string EntryPath(const std::string& directory, const Trailer& key) {
  std::vector<uint8_t> bytes = key.Encode();
  const std::array<uint64_t, 2> h =
      ContentHash(absl::MakeSpan(bytes).subspan(0, sizeof(kMagic) + 9 * 8));
  return absl::StrFormat("%s/%016x%016x.image", directory, h[0], h[1]);
}

absl::StatusOr<std::vector<uint8_t>> ReadAll(const File& file) {
  std::vector<uint8_t> bytes(file.size());
  GRANULE_RETURN_IF_ERROR(file.ReadAt(0, absl::MakeSpan(bytes)));
  return bytes;
}

// The checks that make an entry usable; the error says which failed.
absl::StatusOr<CachedImage> OpenEntry(const std::string& path,
                                      const Trailer& want, const File& source,
                                      const ElfImage& elf,
                                      const ImageCacheOptions& options) {
  GRANULE_ASSIGN_OR_RETURN(File file, File::OpenForReading(path));
  GRANULE_RETURN_IF_ERROR(CheckCacheEntryOwner(file));
  std::vector<uint8_t> raw(Trailer::kBytes);
  if (file.size() < raw.size() ||
      !file.ReadAt(file.size() - raw.size(), absl::MakeSpan(raw)).ok()) {
    return absl::DataLossError(path + ": no trailer");
  }
  const std::optional<Trailer> got = DecodeTrailer(raw);
  if (!got || !got->SameKey(want) ||
      got->image_size != file.size() - raw.size()) {
    return absl::DataLossError(path + ": its trailer is not this source's");
  }
  if (options.verify == ImageCacheOptions::Verify::kContent) {
    GRANULE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadAll(source));
    if (ContentHash(bytes) != got->content) {
      return absl::DataLossError(path + ": the source's content hash differs");
    }
  }
  GRANULE_RETURN_IF_ERROR(file.RestrictToWindow(0, got->image_size));
  GRANULE_ASSIGN_OR_RETURN(ElfImage cached, ReadElfImage(file));
  LoadSegmentList a = elf.LoadSegments(), b = cached.LoadSegments();
  const auto same = [](const Segment* x, const Segment* y) {
    return x->vaddr == y->vaddr && x->memsz == y->memsz &&
           x->filesz == y->filesz && x->flags == y->flags;
  };
  if (!std::equal(a.begin(), a.end(), b.begin(), b.end(), same)) {
    return absl::DataLossError(path + ": its segments are not the source's");
  }
  return CachedImage{std::move(file), std::move(cached), CacheOutcome::kReused,
                     path, ""};
}

// Re-lays the source out and checks the result maps here before writing.
absl::StatusOr<ImageBytes> Build(const ElfImage& elf,
                                 absl::Span<const uint8_t> bytes,
                                 const PageGeometry& geometry) {
  GRANULE_ASSIGN_OR_RETURN(
      ImageBytes image,
      RelayOutImage(elf, bytes, geometry.allocation_granularity()));
  const std::vector<uint8_t> flat = image.Flatten();
  const File memory = File::OverMemory(elf.path, flat.data(), flat.size());
  GRANULE_ASSIGN_OR_RETURN(ElfImage relaid, ReadElfImage(memory));
  absl::StatusOr<PlanOrRefusal> plan =
      PlanLoad(relaid, geometry, PlanOptions{/*map_whole_file=*/true});
  std::string why;
  if (!plan.ok()) {
    why = std::string(plan.status().message());
  } else if (const Refusal* refusal = std::get_if<Refusal>(&*plan)) {
    why = refusal->Message();
  } else {
    return image;
  }
  return absl::FailedPreconditionError(absl::StrFormat(
      "a copy re-laid out for %s still cannot take the shared path: %s",
      geometry.ToString(), why));
}

absl::Status WriteEntry(const std::string& path, const File& source,
                        const ElfImage& elf, const PageGeometry& geometry,
                        Trailer key, const ImageCacheOptions& options) {
  GRANULE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadAll(source));
  GRANULE_ASSIGN_OR_RETURN(ImageBytes image, Build(elf, bytes, geometry));
  // An entry is for the version it was read from, not for one a writer
  // made while it was read.
  GRANULE_ASSIGN_OR_RETURN(FileIdentity after, IdentifyFile(source));
  if (after != key.source) {
    return absl::AbortedError(source.path() + " changed while it was read");
  }
  key.content = ContentHash(bytes);
  key.image_size = image.file_size;
  const std::vector<uint8_t> trailer = key.Encode();
  std::vector<FileExtent> extents;
  for (const ImageBytes::Extent& e : image.extents) {
    extents.push_back({e.offset, e.bytes});
  }
  extents.push_back({image.file_size, trailer});
  return WriteFileAtomically(path, image.file_size + trailer.size(), extents,
                             options.file_mode);
}

}  // namespace

const char* CacheOutcomeName(CacheOutcome outcome) {
  switch (outcome) {
    case CacheOutcome::kReused:
      return "reused";
    case CacheOutcome::kBuilt:
      return "built";
    case CacheOutcome::kRebuilt:
      return "rebuilt";
  }
  return "?";
}

absl::StatusOr<CachedImage> OpenCachedImage(const File& source,
                                            const ElfImage& elf,
                                            const PageGeometry& geometry,
                                            const ImageCacheOptions& options) {
  GRANULE_RETURN_IF_ERROR(PrepareCacheDirectory(options.directory));
  GRANULE_ASSIGN_OR_RETURN(FileIdentity identity, IdentifyFile(source));
  Trailer key;
  key.page_size = geometry.page_size();
  key.granularity = geometry.allocation_granularity();
  key.source = identity;
  key.window_start = source.window_start();
  key.window_size = source.size();
  const std::string path = EntryPath(options.directory, key);
  absl::StatusOr<CachedImage> entry =
      OpenEntry(path, key, source, elf, options);
  if (entry.ok()) return entry;
  const bool missing = absl::IsNotFound(entry.status());
  const std::string refused(entry.status().message());
  GRANULE_RETURN_IF_ERROR(
      WriteEntry(path, source, elf, geometry, key, options));
  entry = OpenEntry(path, key, source, elf, options);
  if (!entry.ok()) return entry.status();
  entry->outcome = missing ? CacheOutcome::kBuilt : CacheOutcome::kRebuilt;
  if (!missing) entry->refused = refused;
  return entry;
}

}  // namespace granule
