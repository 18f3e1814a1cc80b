// SPDX-License-Identifier: Apache-2.0
// The ELF vocabulary granule reads and writes: the numbers from the System V
// ABI and the GNU extensions, plus Guile's dynamic tags. No structs: images
// are decoded field by field (loader/elf/byte_order.h), so one code path serves
// both classes and both byte orders on any host.
#ifndef GRANULE_LOADER_ELF_ELF_FORMAT_H_
#define GRANULE_LOADER_ELF_ELF_FORMAT_H_

#include <cstdint>

namespace granule::elf {

// e_ident.
inline constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr int kIdentSize = 16;
inline constexpr int kIdentClass = 4, kIdentData = 5, kIdentVersion = 6,
                     kIdentOsAbi = 7;
inline constexpr uint8_t kClass32 = 1, kClass64 = 2;
inline constexpr uint8_t kDataLittle = 1, kDataBig = 2;
inline constexpr uint8_t kVersionCurrent = 1;
inline constexpr uint8_t kOsAbiGuile = 0xff;  // What Guile's .go files carry.

// e_type.
inline constexpr uint16_t kTypeExec = 2, kTypeDyn = 3;

// e_machine values granule knows relocations for (see relocation_types.h).
inline constexpr uint16_t kMachineNone = 0, kMachine386 = 3, kMachineMips = 8,
                          kMachinePpc = 20, kMachinePpc64 = 21,
                          kMachineS390 = 22, kMachineArm = 40,
                          kMachineX86_64 = 62, kMachineAarch64 = 183,
                          kMachineRiscv = 243, kMachineLoongArch = 258;

// e_phnum escape: the real count is in section header 0. Not supported.
inline constexpr uint16_t kPhnumEscape = 0xffff;

// Program header types and flags.
inline constexpr uint32_t kPtNull = 0, kPtLoad = 1, kPtDynamic = 2,
                          kPtGnuRelro = 0x6474e552;
inline constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;

// Section header types and flags.
inline constexpr uint32_t kShtNull = 0, kShtProgbits = 1, kShtStrtab = 3,
                          kShtRela = 4, kShtHash = 5, kShtDynamic = 6,
                          kShtNobits = 8, kShtRel = 9, kShtDynsym = 11,
                          kShtRelr = 19;
inline constexpr uint64_t kShfWrite = 1, kShfAlloc = 2, kShfExecinstr = 4;

// Dynamic tags.
inline constexpr int64_t kDtNull = 0, kDtPltgot = 3, kDtHash = 4,
                         kDtStrtab = 5, kDtSymtab = 6, kDtRela = 7,
                         kDtRelasz = 8, kDtRelaent = 9, kDtStrsz = 10,
                         kDtSyment = 11, kDtInit = 12,
                         kDtFini = 13, kDtRel = 17, kDtRelsz = 18,
                         kDtRelent = 19, kDtDebug = 21, kDtJmprel = 23,
                         kDtInitArray = 25, kDtFiniArray = 26,
                         kDtEncoding = 32, kDtPreinitArray = 32,
                         kDtRelrsz = 35, kDtRelr = 36, kDtRelrent = 37,
                         kDtLoos = 0x6000000d;

// Guile's tags (module/system/vm/linker.scm, libguile/loader.c). Address
// values are offsets from the image base, like every d_ptr.
inline constexpr int64_t kDtGuileGcRoot = 0x37146000;
inline constexpr int64_t kDtGuileGcRootSize = 0x37146001;
inline constexpr int64_t kDtGuileEntry = 0x37146002;
inline constexpr int64_t kDtGuileVmVersion = 0x37146003;
inline constexpr int64_t kDtGuileFrameMaps = 0x37146004;
inline constexpr int64_t kDtGuileLast = 0x37146fff;

// Record sizes per class.
struct ClassSizes {
  int word;          // Bytes in an address: 4 or 8.
  int ehdr;          // Elf_Ehdr.
  int phdr;          // Elf_Phdr.
  int shdr;          // Elf_Shdr.
  int dyn;           // Elf_Dyn.
  int rel;           // Elf_Rel.
  int rela;          // Elf_Rela.
};
inline constexpr ClassSizes kSizes32 = {4, 52, 32, 40, 8, 8, 12};
inline constexpr ClassSizes kSizes64 = {8, 64, 56, 64, 16, 16, 24};

// The segment alignment granule writes and the contract asks for: the least
// common multiple of every page size and allocation granularity in use.
inline constexpr uint64_t kImageAlignment = 64 * 1024;

}  // namespace granule::elf

#endif  // GRANULE_LOADER_ELF_ELF_FORMAT_H_
