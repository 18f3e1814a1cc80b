// SPDX-License-Identifier: Apache-2.0
#include "testing/fuzz/seeds.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "loader/elf/elf_format.h"
#include "loader/writer/image_writer.h"
#include "platform/status_macros.h"
#include "testing/guile_files.h"

namespace granule::fuzz {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxGuileSeedSize = 512 * 1024;

std::vector<uint8_t> Pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<uint8_t>(i * 7 + seed);
  return bytes;
}

// Sections of every access, a .bss, relocations pointing into each, and the
// dynamic entries Guile's loader reads.
ImageSpec SeedSpec(ElfVariant variant, Layout layout, RelocationFormat format) {
  ImageSpec spec;
  spec.variant = variant;
  spec.layout = layout;
  spec.relocation_format = format;
  spec.os_abi = elf::kOsAbiGuile;
  const uint64_t w = variant.word_size();
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16, Pattern(96, 1), 0},
      {".text", SectionAccess::kReadExecute, 16, Pattern(160, 2), 0},
      {".data", SectionAccess::kReadWrite, 8, Pattern(8 * w, 3), 0},
      {".bss", SectionAccess::kReadWrite, 8, {}, 0x800},
  };
  spec.relocations = {
      {{".data", 0}, {".rodata", 8}},
      {{".data", w}, {".text", 4}},
      {{".data", 2 * w}, {".data", 5 * w}},
      {{".data", 3 * w}, {".bss", 16}},
  };
  spec.dynamic = {{elf::kDtGuileVmVersion, 0x03000006, "", 0},
                  {elf::kDtGuileEntry, 0, ".text", 0},
                  {elf::kDtGuileGcRoot, 0, ".data", 0},
                  {elf::kDtGuileGcRootSize, 8 * w, "", 0},
                  {elf::kDtInit, 0, ".text", 16}};
  return spec;
}

absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  }
  return bytes;
}

// Every *.go of each Guile version with its size, smallest first.
std::map<std::string, std::vector<std::pair<uint64_t, fs::path>>>
GuileFilesBySize() {
  std::map<std::string, std::vector<std::pair<uint64_t, fs::path>>> found;
  for (const testing::CorpusFile& file : testing::FindGuileFiles().files) {
    std::error_code error;
    const uint64_t size = fs::file_size(file.path, error);
    if (!error && size <= kMaxGuileSeedSize) {
      found[file.version].push_back({size, file.path});
    }
  }
  for (auto& [version, files] : found) std::sort(files.begin(), files.end());
  return found;
}

}  // namespace

absl::StatusOr<std::vector<Seed>> WriterSeeds() {
  std::vector<Seed> seeds;
  for (const ElfVariant& variant : kAllVariants) {
    for (Layout layout : {Layout::kOneToOne, Layout::kCompact}) {
      for (RelocationFormat format :
           {RelocationFormat::kRela, RelocationFormat::kRel,
            RelocationFormat::kRelr}) {
        GRANULE_ASSIGN_OR_RETURN(ImageBytes image,
                                 BuildImage(SeedSpec(variant, layout, format)));
        seeds.push_back(
            {absl::StrCat("writer-", variant.is64 ? "elf64" : "elf32",
                          variant.big_endian ? "-be-" : "-le-",
                          layout == Layout::kCompact ? "compact" : "1to1", "-",
                          RelocationFormatName(format), ".elf"),
             image.Flatten()});
      }
    }
  }
  return seeds;
}

absl::StatusOr<std::vector<Seed>> GuileSeeds(size_t limit) {
  const auto found = GuileFilesBySize();
  std::vector<Seed> seeds;
  const size_t per_version = found.empty() ? 0 : limit / found.size();
  for (const auto& [version, files] : found) {
    // Evenly spaced over the sizes: small modules and large ones.
    const size_t take = std::min(per_version, files.size());
    for (size_t i = 0; i < take; ++i) {
      const fs::path& path = files[i * files.size() / take].second;
      GRANULE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadWholeFile(path));
      const std::string relative =
          path.lexically_relative(path.parent_path().parent_path()).string();
      seeds.push_back(
          {absl::StrCat("guile-", version, "-",
                        absl::StrReplaceAll(relative, {{"/", "-"}})),
           std::move(bytes)});
    }
  }
  if (seeds.empty()) {
    return absl::FailedPreconditionError(
        "no Guile .go files of at most 512 KiB under "
        "/usr/lib/*/guile/{2.2,3.0}/ccache; `./bazelw test` installs "
        "guile-2.2-libs and guile-3.0-libs");
  }
  return seeds;
}

}  // namespace granule::fuzz
