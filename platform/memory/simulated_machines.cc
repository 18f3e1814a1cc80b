// SPDX-License-Identifier: Apache-2.0
#include "platform/memory/simulated_machines.h"

#include <cstring>

namespace granule {
namespace {

constexpr uint64_t kKiB = 1024;
using Kind = HostBackendKind;

constexpr SimulatedMachine kMachines[] = {
    {"linux-x86_64", "Linux x86-64, 4 KiB pages", 4 * kKiB, 4 * kKiB,
     Kind::kPosix, "getauxval(AT_PAGESZ)", true},
    {"macos-x86_64", "macOS on Intel, 4 KiB pages", 4 * kKiB, 4 * kKiB,
     Kind::kPosix, "vm_page_size", true},
    {"macos-arm64", "macOS on Apple silicon, 16 KiB pages", 16 * kKiB,
     16 * kKiB, Kind::kPosix, "vm_page_size", true},
    {"linux-arm64-16k", "Linux arm64 with 16 KiB pages (Asahi)", 16 * kKiB,
     16 * kKiB, Kind::kPosix, "getauxval(AT_PAGESZ)", true},
    {"linux-ppc64le", "Linux ppc64le, 64 KiB pages (Debian ppc64el)", 64 * kKiB,
     64 * kKiB, Kind::kPosix, "getauxval(AT_PAGESZ)", true},
    {"linux-arm64-64k", "Linux arm64 with 64 KiB pages (RHEL arm64 64K)",
     64 * kKiB, 64 * kKiB, Kind::kPosix, "getauxval(AT_PAGESZ)", true},
    {"windows-x86_64", "Windows, 4 KiB pages, 64 KiB allocation granularity",
     4 * kKiB, 64 * kKiB, Kind::kWindows, "GetSystemInfo", true},
    // Granule's Cygwin choice: the Win32 calls, which keep the units apart.
    {"cygwin-win32", "Cygwin through the Win32 calls (granule's backend)",
     4 * kKiB, 64 * kKiB, Kind::kWindows, "GetSystemInfo", true},
    // What Cygwin's own mmap layer reports and enforces: the granularity as
    // the page size.
    {"cygwin-posix-layer", "Cygwin's POSIX layer, 64 KiB reported as the page",
     64 * kKiB, 64 * kKiB, Kind::kPosix, "getpagesize()", false},
    {"hypothetical-256k", "256 KiB pages (hypothetical)", 256 * kKiB,
     256 * kKiB, Kind::kPosix, "getauxval(AT_PAGESZ)", true},
};

constexpr bool IsPowerOfTwoAtCompileTime(uint64_t value) {
  return value != 0 && (value & (value - 1)) == 0;
}

// The conditions PageGeometry::Create checks, so geometry() never fails.
constexpr bool AllGeometriesValid() {
  for (const SimulatedMachine& m : kMachines) {
    if (!IsPowerOfTwoAtCompileTime(m.page_size) ||
        !IsPowerOfTwoAtCompileTime(m.allocation_granularity) ||
        m.allocation_granularity < m.page_size) {
      return false;
    }
  }
  return true;
}
static_assert(AllGeometriesValid(),
              "every simulated machine needs a geometry PageGeometry accepts");

}  // namespace

const char* HostBackendKindName(HostBackendKind kind) {
  return kind == HostBackendKind::kWindows ? "windows" : "posix";
}

PageGeometry SimulatedMachine::geometry() const {
  return *PageGeometry::Create(page_size, allocation_granularity);
}

absl::Span<const SimulatedMachine> SimulatedMachines() { return kMachines; }

const SimulatedMachine* FindSimulatedMachine(const char* name) {
  for (const SimulatedMachine& machine : kMachines) {
    if (std::strcmp(machine.name, name) == 0) return &machine;
  }
  return nullptr;
}

std::unique_ptr<SimulatedBackend> MakeSimulatedBackend(
    const SimulatedMachine& machine) {
  return std::make_unique<SimulatedBackend>(machine.geometry());
}

}  // namespace granule
