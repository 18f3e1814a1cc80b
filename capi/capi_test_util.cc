// SPDX-License-Identifier: Apache-2.0
#include "capi/capi_test_util.h"

#include <cstring>

#include "gtest/gtest.h"
#include "testing/temp_file.h"

namespace granule::capi {

std::string SmallImage(const std::string& stem, granule_layout layout) {
  Builder builder(granule_builder_new());
  const uintptr_t data[1] = {0};
  const bool built =
      granule_builder_set_layout(builder.get(), layout) == GRANULE_OK &&
      granule_builder_add_section(builder.get(), ".rodata", GRANULE_ACCESS_R,
                                  kSmallImageConstants,
                                  sizeof kSmallImageConstants,
                                  8) == GRANULE_OK &&
      granule_builder_add_section(builder.get(), ".data", GRANULE_ACCESS_RW,
                                  data, sizeof data, 8) == GRANULE_OK &&
      granule_builder_add_relocation(builder.get(), ".data", 0, ".rodata",
                                     0) == GRANULE_OK;
  const std::string path = testing::TempPath(stem);
  if (!built || granule_builder_write(builder.get(), path.c_str()) !=
                    GRANULE_OK) {
    ADD_FAILURE() << "writing " << path << ": " << granule_last_error();
    return "";
  }
  return path;
}

bool SmallImageIsIntact(const granule_image* image) {
  const void* rodata = nullptr;
  const void* data = nullptr;
  uint64_t size = 0;
  if (granule_image_section(image, ".rodata", &rodata, &size) != GRANULE_OK ||
      size != sizeof kSmallImageConstants ||
      std::memcmp(rodata, kSmallImageConstants, size) != 0) {
    return false;
  }
  if (granule_image_section(image, ".data", &data, &size) != GRANULE_OK) {
    return false;
  }
  return *static_cast<const uintptr_t*>(data) ==
         reinterpret_cast<uintptr_t>(rodata);
}

}  // namespace granule::capi
