// SPDX-License-Identifier: Apache-2.0
// Prints what the machine running it really is, as one parseable line, for
// the platform matrix (testing/matrix.sh): the page geometry granule's
// platform layer reads from the operating system, the byte order and the word
// size. Built for every configuration and run the way the tests run (natively,
// under qemu-user, under Wine, inside a QEMU virtual machine), so the matrix
// table states measured facts, not the configuration's name.
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "absl/status/statusor.h"
#include "platform/memory/memory_backend.h"
#include "platform/page_geometry.h"
#include "platform/memory/simulated_machines.h"

namespace {

const char* ByteOrder() {
  const uint16_t probe = 0x0102;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 0x01 ? "big" : "little";
}

void PrintFacts(const granule::PageGeometry& geometry, const char* backend) {
  std::printf(
      "granule-host-facts: page_size=%zu allocation_granularity=%zu "
      "byte_order=%s bits=%zu backend=%s\n",
      geometry.page_size(), geometry.allocation_granularity(), ByteOrder(),
      sizeof(void*) * 8, backend);
}

}  // namespace

int main(int argc, char** argv) {
  constexpr char kSimulated[] = "--simulated=";
  if (argc == 2 &&
      std::strncmp(argv[1], kSimulated, sizeof(kSimulated) - 1) == 0) {
    const char* name = argv[1] + sizeof(kSimulated) - 1;
    const granule::SimulatedMachine* machine =
        granule::FindSimulatedMachine(name);
    if (machine == nullptr) {
      std::fprintf(stderr, "host_facts: no simulated machine named '%s'\n",
                   name);
      return 2;
    }
    PrintFacts(machine->geometry(), "simulated");
    return 0;
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: host_facts [--simulated=NAME]\n");
    return 2;
  }
  absl::StatusOr<granule::MemoryBackend*> backend =
      granule::HostMemoryBackend();
  if (!backend.ok()) {
    std::fprintf(stderr, "host_facts: %s\n",
                 backend.status().ToString().c_str());
    return 1;
  }
  PrintFacts((*backend)->geometry(), (*backend)->traits().name);
  return 0;
}
