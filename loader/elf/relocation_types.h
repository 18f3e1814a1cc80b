// SPDX-License-Identifier: Apache-2.0
// Which relocation type means "relative" (word = base + addend) on each
// machine granule loads for. Relative relocations are all a position-
// independent image needs at load time; symbol lookup is the runtime's job.
#ifndef GRANULE_LOADER_ELF_RELOCATION_TYPES_H_
#define GRANULE_LOADER_ELF_RELOCATION_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>

namespace granule {

// The machine-neutral relative type granule defines for EM_NONE images
// (Guile's .go files are EM_NONE). Type 0 stays "none" on every machine.
inline constexpr uint32_t kGranuleRelative = 1;

// The relative type of `machine` (R_X86_64_RELATIVE, R_AARCH64_RELATIVE, ...),
// or nullopt when granule does not know the machine.
std::optional<uint32_t> RelativeRelocationType(uint16_t machine);

// "x86-64", "AArch64", "none", or "machine 1234".
std::string MachineName(uint16_t machine);

}  // namespace granule

#endif  // GRANULE_LOADER_ELF_RELOCATION_TYPES_H_
