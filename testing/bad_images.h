// SPDX-License-Identifier: Apache-2.0
// The bad-input catalogue: malformed images, each with the message granule
// must refuse it with. Built with testing/raw_elf.h, not granule's writer,
// so the cases do not share the writer's assumptions. Used by
// loader/bad_image_catalogue_test.cc, and written to files by
// //testing:write_bad_images for cli/bad_images_check_test.sh.
#ifndef GRANULE_TESTING_BAD_IMAGES_H_
#define GRANULE_TESTING_BAD_IMAGES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace granule::testing {

// Where the refusal comes from.
enum class BadImageStage {
  // ReadElfImage refuses the file: `granule check` and every load do.
  kRead,
  // ReadElfImage accepts the headers; LoadImage refuses on both paths,
  // on every machine (relocations, the image-size limit), and so does
  // `granule check` (CheckRelocations, CheckSharedPath).
  kLoad,
  // Refused by LoadImage only once the base is known (an ELF32 value past
  // 2^32): `granule check`, which loads nothing, cannot see it.
  kLoadAtBase,
  // Loads, but only by the malloc path: LoadImage with PathChoice::kShared
  // refuses it on a 4 KiB machine, giving the reason (`expected`).
  kSharedPath,
};
const char* BadImageStageName(BadImageStage stage);  // "read", ...

struct BadImage {
  std::string name;  // [a-z0-9_]: a test name and a file name.
  std::string description;
  BadImageStage stage;
  std::vector<uint8_t> bytes;
  // Part of the error (after "<path>: "), naming the field and its value.
  std::string expected;
};

// Every case, built once. Names are unique.
const std::vector<BadImage>& BadImages();

}  // namespace granule::testing

#endif  // GRANULE_TESTING_BAD_IMAGES_H_
