// SPDX-License-Identifier: Apache-2.0
// granule_builder_*: an ImageSpec filled from C, written by WriteImage.
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "loader/writer/image_writer.h"
#include "platform/page_geometry.h"
#include "platform/status_macros.h"

struct granule_builder {
  granule::ImageSpec spec;
};

namespace granule::capi {
namespace {

ElfVariant HostVariant() {
  const uint16_t probe = 1;
  const bool big_endian = *reinterpret_cast<const uint8_t*>(&probe) == 0;
  return {sizeof(void*) == 8, big_endian};
}

absl::Status CheckName(const char* function, const char* what,
                       const char* name) {
  if (name == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(function, ": ", what, " is NULL"));
  }
  return absl::OkStatus();
}

absl::Status CheckAlignment(const char* function, const char* name,
                            uint64_t alignment) {
  if (!IsPowerOfTwo(alignment)) {
    return absl::InvalidArgumentError(absl::StrCat(function, ": section ", name,
                                                   ": alignment ", alignment,
                                                   " is not a power of two"));
  }
  return absl::OkStatus();
}

// The names of the sections the writer adds and of the builder's earlier
// sections: refused here, where the caller can tell which call was wrong,
// not at write.
absl::Status CheckNewName(const char* function, const granule_builder& builder,
                          const char* name) {
  if (IsWriterSectionName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(function, ": section ", name,
                     ": the name is reserved for a section the writer adds"));
  }
  const std::vector<SectionSpec>& sections = builder.spec.sections;
  for (size_t i = 0; i < sections.size(); ++i) {
    if (sections[i].name == name) {
      return absl::InvalidArgumentError(
          absl::StrCat(function, ": section ", name,
                       ": the name is already used by section ", i));
    }
  }
  return absl::OkStatus();
}

absl::Status AddSection(const char* function, granule_builder* builder,
                        const char* name, granule_access access,
                        const void* bytes, uint64_t size, uint64_t alignment,
                        bool zero_filled) {
  GRANULE_RETURN_IF_ERROR(CheckName(function, "name", name));
  GRANULE_RETURN_IF_ERROR(CheckNewName(function, *builder, name));
  GRANULE_RETURN_IF_ERROR(CheckAlignment(function, name, alignment));
  SectionSpec section;
  switch (access) {
    case GRANULE_ACCESS_R:
      section.access = SectionAccess::kRead;
      break;
    case GRANULE_ACCESS_RX:
      section.access = SectionAccess::kReadExecute;
      break;
    case GRANULE_ACCESS_RW:
      section.access = SectionAccess::kReadWrite;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(function, ": section ", name, ": access ", access,
                       " is not GRANULE_ACCESS_R, _RX or _RW"));
  }
  section.name = name;
  section.alignment = alignment;
  if (zero_filled) {
    section.zero_size = size;
  } else if (size > 0) {
    if (bytes == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          function, ": section ", name, ": bytes is NULL but size is ", size));
    }
    const auto* first = static_cast<const uint8_t*>(bytes);
    section.bytes.assign(first, first + size);
  }
  builder->spec.sections.push_back(std::move(section));
  return absl::OkStatus();
}

}  // namespace
}  // namespace granule::capi

using granule::capi::Guard;
using granule::capi::NullArgument;

extern "C" {

granule_builder* granule_builder_new(void) {
  const char* const function = __func__;
  granule_builder* builder = nullptr;
  const granule_status status = Guard(function, [&] {
    builder = new granule_builder;
    builder->spec.variant = granule::capi::HostVariant();
    return absl::OkStatus();
  });
  return status == GRANULE_OK ? builder : nullptr;
}

void granule_builder_free(granule_builder* builder) { delete builder; }

granule_status granule_builder_set_target(granule_builder* builder,
                                          uint32_t word_bits,
                                          granule_byte_order byte_order) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  return Guard(function, [&] {
    if (word_bits != 32 && word_bits != 64) {
      return absl::InvalidArgumentError(absl::StrCat(
          function, ": word_bits ", word_bits, " is not 32 or 64"));
    }
    if (byte_order != GRANULE_LITTLE_ENDIAN &&
        byte_order != GRANULE_BIG_ENDIAN) {
      return absl::InvalidArgumentError(
          absl::StrCat(function, ": byte_order ", byte_order,
                       " is not GRANULE_LITTLE_ENDIAN or GRANULE_BIG_ENDIAN"));
    }
    builder->spec.variant = {word_bits == 64, byte_order == GRANULE_BIG_ENDIAN};
    return absl::OkStatus();
  });
}

granule_status granule_builder_set_machine(granule_builder* builder,
                                           uint16_t machine, uint8_t os_abi) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  builder->spec.machine = machine;
  builder->spec.os_abi = os_abi;
  return GRANULE_OK;
}

granule_status granule_builder_set_layout(granule_builder* builder,
                                          granule_layout layout) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  return Guard(function, [&] {
    switch (layout) {
      case GRANULE_LAYOUT_ONE_TO_ONE:
        builder->spec.layout = granule::Layout::kOneToOne;
        return absl::OkStatus();
      case GRANULE_LAYOUT_COMPACT:
        builder->spec.layout = granule::Layout::kCompact;
        return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        function, ": layout ", layout,
        " is not GRANULE_LAYOUT_ONE_TO_ONE or GRANULE_LAYOUT_COMPACT"));
  });
}

granule_status granule_builder_set_relocation_format(
    granule_builder* builder, granule_relocation_format format) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  return Guard(function, [&] {
    using granule::RelocationFormat;
    switch (format) {
      case GRANULE_RELOCATIONS_RELA:
        builder->spec.relocation_format = RelocationFormat::kRela;
        return absl::OkStatus();
      case GRANULE_RELOCATIONS_REL:
        builder->spec.relocation_format = RelocationFormat::kRel;
        return absl::OkStatus();
      case GRANULE_RELOCATIONS_RELR:
        builder->spec.relocation_format = RelocationFormat::kRelr;
        return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat(function, ": format ", format,
                     " is not GRANULE_RELOCATIONS_RELA, _REL or _RELR"));
  });
}

granule_status granule_builder_set_segment_alignment(granule_builder* builder,
                                                     uint64_t alignment) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  return Guard(function, [&] {
    if (!granule::IsPowerOfTwo(alignment)) {
      return absl::InvalidArgumentError(absl::StrCat(
          function, ": alignment ", alignment, " is not a power of two"));
    }
    builder->spec.segment_alignment = alignment;
    return absl::OkStatus();
  });
}

granule_status granule_builder_add_section(granule_builder* builder,
                                           const char* name,
                                           granule_access access,
                                           const void* bytes, uint64_t size,
                                           uint64_t alignment) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  return Guard(function, [&] {
    return granule::capi::AddSection(function, builder, name, access, bytes,
                                     size, alignment, /*zero_filled=*/false);
  });
}

granule_status granule_builder_add_zero_section(granule_builder* builder,
                                                const char* name, uint64_t size,
                                                uint64_t alignment) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  return Guard(function, [&] {
    return granule::capi::AddSection(function, builder, name, GRANULE_ACCESS_RW,
                                     nullptr, size, alignment,
                                     /*zero_filled=*/true);
  });
}

granule_status granule_builder_add_relocation(granule_builder* builder,
                                              const char* place_section,
                                              uint64_t place_offset,
                                              const char* target_section,
                                              uint64_t target_offset) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  if (place_section == nullptr) return NullArgument(function, "place_section");
  if (target_section == nullptr) {
    return NullArgument(function, "target_section");
  }
  return Guard(function, [&] {
    builder->spec.relocations.push_back(
        {{place_section, place_offset}, {target_section, target_offset}});
    return absl::OkStatus();
  });
}

granule_status granule_builder_add_dynamic_value(granule_builder* builder,
                                                 int64_t tag, uint64_t value) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  return Guard(function, [&] {
    granule::DynamicSpec entry;
    entry.tag = tag;
    entry.value = value;
    builder->spec.dynamic.push_back(std::move(entry));
    return absl::OkStatus();
  });
}

granule_status granule_builder_add_dynamic_address(granule_builder* builder,
                                                   int64_t tag,
                                                   const char* section,
                                                   uint64_t offset) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  if (section == nullptr) return NullArgument(function, "section");
  return Guard(function, [&] {
    granule::DynamicSpec entry;
    entry.tag = tag;
    entry.address_of = section;
    entry.address_offset = offset;
    builder->spec.dynamic.push_back(std::move(entry));
    return absl::OkStatus();
  });
}

granule_status granule_builder_write(const granule_builder* builder,
                                     const char* path) {
  const char* const function = __func__;
  if (builder == nullptr) return NullArgument(function, "builder");
  if (path == nullptr) return NullArgument(function, "path");
  return Guard(function,
               [&] { return granule::WriteImage(builder->spec, path); });
}

}  // extern "C"
