// SPDX-License-Identifier: Apache-2.0
// The loader on every image the reader accepts: the shared path on simulated
// machines of several page geometries, and the malloc path; relocations
// applied, the dynamic table and sections read, then released. The same
// bytes read without the section table (any image read whole must still
// read) and loaded whole, as a runtime such as Guile asks. Afterwards every
// backend's ledger must be back to zero: no error path may leak.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "loader/elf/elf_image.h"
#include "loader/loaded_image.h"
#include "platform/memory/malloc_backend.h"
#include "platform/memory/simulated_machines.h"
#include "testing/fuzz/fuzz_checks.h"

namespace granule::fuzz {
namespace {

volatile uint64_t sink;

// Large enough for every real Guile module; keeps a fuzzed 1 GiB p_memsz
// from spending the run zeroing memory.
constexpr uint64_t kMaxImageSize = uint64_t{32} << 20;
// Where ELF32 images are relocated for: their words cannot hold a 64-bit
// host address (LoadOptions::relocation_base).
constexpr uint64_t kElf32RelocationBase = 0x10000;

const std::vector<SimulatedBackend*>& SharedBackends() {
  static const auto* backends = [] {
    auto* all = new std::vector<SimulatedBackend*>;
    for (const char* name : {"linux-x86_64", "macos-arm64", "windows-x86_64",
                             "linux-ppc64le", "hypothetical-256k"}) {
      const SimulatedMachine* machine = FindSimulatedMachine(name);
      Require(machine != nullptr, "a fuzzer machine is unknown");
      all->push_back(MakeSimulatedBackend(*machine).release());
    }
    return all;
  }();
  return *backends;
}

MallocBackend& MallocPathBackend() {
  static auto* backend = new MallocBackend;
  return *backend;
}

// What a runtime reads of a loaded image.
void UseImage(const LoadedImage& image) {
  uint64_t sum = image.relocations_applied();
  for (const LoadedImage::LoadedSegment& s : image.segments()) {
    Require(s.size == 0 || s.data != nullptr, "a loaded segment has no data");
    if (s.data != nullptr) sum += TouchEnds(s.data, s.size);
    sum += static_cast<int>(
        image.ProtectionAt(reinterpret_cast<uintptr_t>(s.data)));
  }
  for (const LoadedImage::ResolvedEntry& e : image.dynamic()) {
    if (e.pointer != nullptr) sum += *e.pointer;
  }
  for (const Section& section : image.elf().sections) {
    absl::StatusOr<absl::Span<const uint8_t>> bytes =
        image.SectionBytes(section.name);
    if (bytes.ok()) sum += TouchEnds(bytes->data(), bytes->size());
  }
  sink = sum;
}

void LoadOnce(const File& file, const ElfImage& elf,
              LoadOptions::PathChoice path, MemoryBackend* shared) {
  LoadOptions options;
  options.path = path;
  options.shared_backend = shared;
  options.malloc_backend = &MallocPathBackend();
  options.max_image_size = kMaxImageSize;
  if (!elf.variant.is64) options.relocation_base = kElf32RelocationBase;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(file, elf, options);
  if (image.ok()) UseImage(**image);
}

void LoadEverywhere(const File& file, const ElfImage& elf) {
  for (SimulatedBackend* backend : SharedBackends()) {
    LoadOnce(file, elf, LoadOptions::PathChoice::kShared, backend);
    RequireEmptyLedger(*backend, "simulated shared-path");
  }
  LoadOnce(file, elf, LoadOptions::PathChoice::kMalloc, SharedBackends()[0]);
  RequireEmptyLedger(MallocPathBackend(), "malloc-path");
}

// What a runtime such as Guile asks for: the section table not read, the
// whole file mapped (or copied).
void LoadWithoutSections(const File& file, const ElfImage& elf) {
  for (LoadOptions::PathChoice path :
       {LoadOptions::PathChoice::kShared, LoadOptions::PathChoice::kMalloc}) {
    LoadOptions options;
    options.path = path;
    options.shared_backend = SharedBackends()[0];
    options.malloc_backend = &MallocPathBackend();
    options.max_image_size = kMaxImageSize;
    options.map_whole_file = true;
    options.read_section_table = false;
    if (!elf.variant.is64) options.relocation_base = kElf32RelocationBase;
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(file, elf, options);
    if (image.ok()) UseImage(**image);
  }
  RequireEmptyLedger(*SharedBackends()[0], "simulated shared-path");
  RequireEmptyLedger(MallocPathBackend(), "malloc-path");
}

}  // namespace
}  // namespace granule::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace granule;
  File file = fuzz::InputFile(data, size);
  absl::StatusOr<ElfImage> elf = ReadElfImage(file);
  if (elf.ok()) fuzz::LoadEverywhere(file, *elf);
  bool cached = false;
  absl::StatusOr<ElfImage> bare =
      ReadElfImage(file, &cached, SectionTable::kSkip);
  // Skipping the table only drops checks: whatever is read whole is read.
  if (elf.ok() && !bare.ok()) __builtin_trap();
  if (bare.ok()) fuzz::LoadWithoutSections(file, *bare);
  return 0;
}
