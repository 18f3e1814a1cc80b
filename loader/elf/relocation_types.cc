// SPDX-License-Identifier: Apache-2.0
#include "loader/elf/relocation_types.h"

#include "absl/strings/str_format.h"
#include "loader/elf/elf_format.h"

namespace granule {
namespace {

struct MachineInfo {
  uint16_t machine;
  const char* name;
  uint32_t relative_type;
};

// From each psABI. MIPS is absent: its REL32 takes a symbol and its ELF64
// r_info is laid out differently, so it needs more than a table row.
constexpr MachineInfo kMachines[] = {
    {elf::kMachineNone, "none", kGranuleRelative},
    {elf::kMachine386, "i386", 8},           // R_386_RELATIVE
    {elf::kMachinePpc, "PowerPC", 22},       // R_PPC_RELATIVE
    {elf::kMachinePpc64, "PowerPC64", 22},   // R_PPC64_RELATIVE
    {elf::kMachineS390, "S/390", 12},        // R_390_RELATIVE
    {elf::kMachineArm, "ARM", 23},           // R_ARM_RELATIVE
    {elf::kMachineX86_64, "x86-64", 8},      // R_X86_64_RELATIVE
    {elf::kMachineAarch64, "AArch64", 1027}, // R_AARCH64_RELATIVE
    {elf::kMachineRiscv, "RISC-V", 3},       // R_RISCV_RELATIVE
    {elf::kMachineLoongArch, "LoongArch", 3},  // R_LARCH_RELATIVE
};

const MachineInfo* Find(uint16_t machine) {
  for (const MachineInfo& info : kMachines) {
    if (info.machine == machine) return &info;
  }
  return nullptr;
}

}  // namespace

std::optional<uint32_t> RelativeRelocationType(uint16_t machine) {
  const MachineInfo* info = Find(machine);
  if (info == nullptr) return std::nullopt;
  return info->relative_type;
}

std::string MachineName(uint16_t machine) {
  if (machine == elf::kMachineMips) return "MIPS";
  const MachineInfo* info = Find(machine);
  if (info == nullptr) return absl::StrFormat("machine %d", machine);
  return info->name;
}

}  // namespace granule
