// SPDX-License-Identifier: Apache-2.0
#include "cli/demo_image.h"

#include <cstring>
#include <filesystem>
#include <random>

#include "absl/strings/str_format.h"
#include "loader/elf/elf_format.h"

namespace granule::cli {
namespace {

bool HostIsBigEndian() {
  const uint16_t probe = 1;
  uint8_t first_byte;
  std::memcpy(&first_byte, &probe, 1);
  return first_byte == 0;
}

SectionSpec MakeSection(const char* name, SectionAccess access) {
  SectionSpec section;
  section.name = name;
  section.access = access;
  section.alignment = 16;
  return section;
}

}  // namespace

ImageSpec DemoImageSpec(uint64_t segment_alignment) {
  ImageSpec spec;
  spec.variant = {sizeof(void*) == 8, HostIsBigEndian()};
  spec.machine = elf::kMachineNone;
  spec.os_abi = elf::kOsAbiGuile;
  spec.layout = Layout::kOneToOne;
  spec.segment_alignment = segment_alignment;
  spec.relocation_format = RelocationFormat::kRela;

  SectionSpec rodata = MakeSection(".rodata", SectionAccess::kRead);
  rodata.bytes.assign(kDemoGreeting, kDemoGreeting + sizeof kDemoGreeting);
  SectionSpec text = MakeSection(".text", SectionAccess::kReadExecute);
  text.bytes.assign(std::begin(kDemoCode), std::end(kDemoCode));
  SectionSpec data = MakeSection(".data", SectionAccess::kReadWrite);
  data.bytes.resize(kDemoDataBytes);
  for (size_t i = 0; i < data.bytes.size(); ++i) {
    data.bytes[i] = static_cast<uint8_t>(i * 7 + 1);  // Not zeros: on disk.
  }
  // No .bss: Guile's loader wants p_filesz == p_memsz.
  spec.sections = {rodata, text, data};

  const uint64_t word = spec.variant.word_size();
  spec.relocations = {{{".data", 0}, {".rodata", 0}},
                      {{".data", word}, {".text", 0}}};
  DynamicSpec version;
  version.tag = elf::kDtGuileVmVersion;
  version.value = 0x03000006;  // What Guile 3.0.x writes.
  DynamicSpec entry;
  entry.tag = elf::kDtGuileEntry;
  entry.address_of = ".text";
  spec.dynamic = {version, entry};
  return spec;
}

absl::StatusOr<ScratchDirectory> ScratchDirectory::Create(
    const std::string& parent) {
  std::random_device random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::filesystem::path path =
        std::filesystem::path(parent) /
        absl::StrFormat("granule-demo-%08x", random());
    std::error_code error;
    if (std::filesystem::create_directory(path, error)) {
      return ScratchDirectory(path.string());
    }
    if (error) {
      return absl::PermissionDeniedError(
          absl::StrFormat("cannot create the scratch directory %s: %s",
                          path.string(), error.message()));
    }
  }
  return absl::AlreadyExistsError(absl::StrFormat(
      "no fresh scratch directory name under %s after 16 tries", parent));
}

ScratchDirectory::ScratchDirectory(ScratchDirectory&& other) noexcept
    : path_(std::move(other.path_)) {
  other.path_.clear();
}

ScratchDirectory::~ScratchDirectory() {
  if (path_.empty()) return;
  std::error_code ignored;  // Nothing useful to do from a destructor.
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDirectory::File(const std::string& name) const {
  return (std::filesystem::path(path_) / name).string();
}

}  // namespace granule::cli
