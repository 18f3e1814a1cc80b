// SPDX-License-Identifier: Apache-2.0
// What the C API's C++ tests share: owning handles and a small image.
#ifndef GRANULE_CAPI_CAPI_TEST_UTIL_H_
#define GRANULE_CAPI_CAPI_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "capi/granule.h"

namespace granule::capi {

struct BuilderDeleter {
  void operator()(granule_builder* b) const { granule_builder_free(b); }
};
using Builder = std::unique_ptr<granule_builder, BuilderDeleter>;
struct ImageDeleter {
  void operator()(granule_image* i) const { granule_image_release(i); }
};
using Image = std::unique_ptr<granule_image, ImageDeleter>;

// The bytes SmallImage puts in .rodata.
inline constexpr char kSmallImageConstants[] = "granule constants";

// Writes an image of this host's variant with .rodata (kSmallImageConstants)
// and .data (one pointer to .rodata) in `layout`, under a fresh temporary
// path named after `stem`; returns the path, "" when writing failed (with a
// gtest failure).
std::string SmallImage(const std::string& stem,
                       granule_layout layout = GRANULE_LAYOUT_ONE_TO_ONE);

// The .rodata bytes of `image` equal kSmallImageConstants and .data points at
// them.
bool SmallImageIsIntact(const granule_image* image);

}  // namespace granule::capi

#endif  // GRANULE_CAPI_CAPI_TEST_UTIL_H_
