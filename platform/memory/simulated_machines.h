// SPDX-License-Identifier: Apache-2.0
// The foreign machines granule's tests meet through the simulated backend:
// each with the page geometry it presents and how granule runs there.
//
// The simulated backend applies the same OS-neutral rules as every real
// backend (memory_backend.h), so a load that passes on one of these passes on
// the real machine as far as page size and allocation granularity go. What it
// cannot show (real faults, page sharing, MAP_FIXED or view placement quirks)
// is what docs/porting.md lists as not run for real.
#ifndef GRANULE_PLATFORM_MEMORY_SIMULATED_MACHINES_H_
#define GRANULE_PLATFORM_MEMORY_SIMULATED_MACHINES_H_

#include <cstdint>
#include <memory>

#include "absl/types/span.h"
#include "platform/page_geometry.h"
#include "platform/memory/simulated_backend.h"

namespace granule {

// The family of system calls that presents a machine's geometry.
enum class HostBackendKind {
  kPosix,    // mmap/mprotect (platform/memory/posix_backend.cc).
  kWindows,  // VirtualAlloc/MapViewOfFile (the Win32 backend).
};
const char* HostBackendKindName(HostBackendKind kind);  // "posix", "windows"

struct SimulatedMachine {
  const char* name;   // "macos-arm64": stable, for test names and flags.
  const char* label;  // "macOS on Apple silicon, 16 KiB pages".
  uint64_t page_size;
  uint64_t allocation_granularity;
  HostBackendKind backend;
  const char* geometry_source;  // The call that reports the geometry there.
  // False for a view granule does not take on that OS but other code there
  // does: Cygwin's POSIX layer, which granule bypasses for the Win32 calls
  // while a runtime built on Cygwin's mmap lives by its rules.
  bool granule_runs_this_view;

  // Cannot fail for the entries of SimulatedMachines(): simulated_machines.cc
  // checks them at compile time. A hand-made entry must hold valid units.
  PageGeometry geometry() const;
};

// Every machine, 4 KiB pages first. Names are unique.
absl::Span<const SimulatedMachine> SimulatedMachines();

// The machine named `name`, or null.
const SimulatedMachine* FindSimulatedMachine(const char* name);

// A fresh strict simulated backend presenting `machine`'s geometry.
std::unique_ptr<SimulatedBackend> MakeSimulatedBackend(
    const SimulatedMachine& machine);

}  // namespace granule

#endif  // GRANULE_PLATFORM_MEMORY_SIMULATED_MACHINES_H_
