// SPDX-License-Identifier: Apache-2.0
// Loading from memory: a copy the caller may free at once, and in place in a
// buffer the caller keeps, with each refusal naming the field and value and
// leaving the buffer untouched.
#include <cstring>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#include "capi/capi_test_util.h"
#include "capi/granule.h"
#include "gtest/gtest.h"
#include "testing/temp_file.h"

namespace granule::capi {
namespace {

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// A buffer aligned to 64 KiB, the writer's segment alignment.
struct AlignedBuffer {
  static constexpr std::align_val_t kAlign{65536};
  explicit AlignedBuffer(size_t n)
      : size(n), data(static_cast<uint8_t*>(::operator new(n, kAlign))) {}
  ~AlignedBuffer() { ::operator delete(data, kAlign); }
  size_t size;
  uint8_t* data;
};

TEST(CapiLoadMemoryTest, CopiesSoTheBufferMayGo) {
  const std::string path = SmallImage("memory.go");
  ASSERT_FALSE(path.empty());
  for (granule_path_choice choice : {GRANULE_PATH_AUTO, GRANULE_PATH_MALLOC}) {
    std::vector<uint8_t> bytes = ReadFile(path);
    granule_load_options options;
    granule_load_options_init(&options);
    options.path = choice;
    granule_image* loaded = nullptr;
    ASSERT_EQ(granule_load_memory(bytes.data(), bytes.size(), nullptr,
                                  &options, &loaded),
              GRANULE_OK)
        << granule_last_error();
    Image image(loaded);
    std::fill(bytes.begin(), bytes.end(), 0xee);
    bytes.clear();
    bytes.shrink_to_fit();
    EXPECT_TRUE(SmallImageIsIntact(image.get()));
    EXPECT_EQ(std::string(granule_image_file(image.get())).rfind("memory at ",
                                                                  0),
              0u)
        << granule_image_file(image.get());
    EXPECT_NE(granule_image_path(image.get()), GRANULE_LOADED_IN_PLACE);
  }
}

TEST(CapiLoadMemoryTest, BadBuffersAreNamed) {
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load_memory(nullptr, 10, "x", nullptr, &image),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(), "granule_load_memory: data is NULL");
  const uint8_t junk[64] = {0x7f, 'E', 'L', 'F'};
  EXPECT_EQ(granule_load_memory(junk, sizeof junk, "junk.go", nullptr, &image),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(granule_last_error()).find("junk.go"),
            std::string::npos)
      << granule_last_error();
  EXPECT_NE(granule_load_memory(junk, 0, "empty.go", nullptr, &image),
            GRANULE_OK);
  EXPECT_NE(std::string(granule_last_error()).find("empty.go"),
            std::string::npos)
      << granule_last_error();
  EXPECT_EQ(image, nullptr);
}

TEST(CapiLoadInPlaceTest, TheBufferBecomesTheImage) {
  const std::string path = SmallImage("in_place.go");
  ASSERT_FALSE(path.empty());
  const std::vector<uint8_t> bytes = ReadFile(path);
  AlignedBuffer buffer(bytes.size());
  std::memcpy(buffer.data, bytes.data(), bytes.size());
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load_memory_in_place(buffer.data, buffer.size,
                                         "in_place.go", nullptr, &loaded),
            GRANULE_OK)
      << granule_last_error();
  Image image(loaded);
  EXPECT_EQ(granule_image_path(image.get()), GRANULE_LOADED_IN_PLACE);
  EXPECT_STREQ(granule_image_path_name(image.get()), "in place");
  EXPECT_TRUE(SmallImageIsIntact(image.get()));
  const void* rodata = nullptr;
  ASSERT_EQ(granule_image_section(image.get(), ".rodata", &rodata, nullptr),
            GRANULE_OK);
  EXPECT_GE(static_cast<const uint8_t*>(rodata), buffer.data);
  EXPECT_LT(static_cast<const uint8_t*>(rodata), buffer.data + buffer.size);
  EXPECT_EQ(granule_find_image(buffer.data + 1), image.get());
  image.reset();
  EXPECT_EQ(granule_find_image(buffer.data + 1), nullptr);
  // Released, the buffer is still the caller's: readable, writable.
  buffer.data[0] = 1;
  EXPECT_EQ(buffer.data[0], 1);
}

// Each refusal before anything is written: the buffer's bytes are as given.
void ExpectRefused(uint8_t* data, size_t size,
                   const granule_load_options* options, granule_status code,
                   const std::string& text) {
  const std::vector<uint8_t> before(data, data + size);
  const uint64_t count = granule_loaded_image_count();
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load_memory_in_place(data, size, "buffer.go", options,
                                         &image),
            code);
  EXPECT_EQ(image, nullptr);
  EXPECT_NE(std::string(granule_last_error()).find(text), std::string::npos)
      << granule_last_error();
  EXPECT_EQ(std::memcmp(before.data(), data, size), 0);
  EXPECT_EQ(granule_loaded_image_count(), count);
}

TEST(CapiLoadInPlaceTest, RefusalsNameTheFieldAndLeaveTheBuffer) {
  const std::vector<uint8_t> bytes = ReadFile(SmallImage("refused.go"));
  ASSERT_FALSE(bytes.empty());
  AlignedBuffer buffer(bytes.size() + 8);
  std::memcpy(buffer.data + 8, bytes.data(), bytes.size());
  ExpectRefused(buffer.data + 8, bytes.size(), nullptr,
                GRANULE_INVALID_ARGUMENT,
                "is not aligned to p_align 64 KiB, the image's largest");

  std::memcpy(buffer.data, bytes.data(), bytes.size());
  granule_load_options options;
  granule_load_options_init(&options);
  options.require_shared = 1;
  ExpectRefused(buffer.data, bytes.size(), &options, GRANULE_INVALID_ARGUMENT,
                "buffer.go: options.path GRANULE_PATH_SHARED (or "
                "require_shared): an image in place is never on the shared "
                "path");

  const std::vector<uint8_t> compact =
      ReadFile(SmallImage("refused_compact.go", GRANULE_LAYOUT_COMPACT));
  AlignedBuffer compact_buffer(compact.size());
  std::memcpy(compact_buffer.data, compact.data(), compact.size());
  ExpectRefused(compact_buffer.data, compact.size(), nullptr,
                GRANULE_INVALID_ARGUMENT,
                "buffer.go: in place needs the 1:1 layout (p_offset == "
                "p_vaddr), but the layout is compact");

  EXPECT_EQ(granule_load_memory_in_place(nullptr, 8, nullptr, nullptr,
                                         nullptr),
            GRANULE_INVALID_ARGUMENT);
}

// A .bss past the file's end needs room the file does not have.
TEST(CapiLoadInPlaceTest, ABufferTooSmallForTheSegmentsIsRefused) {
  Builder builder(granule_builder_new());
  const uint8_t data[8] = {};
  ASSERT_EQ(granule_builder_add_section(builder.get(), ".data",
                                        GRANULE_ACCESS_RW, data, 8, 8),
            GRANULE_OK);
  ASSERT_EQ(granule_builder_add_zero_section(builder.get(), ".bss", 1 << 20, 8),
            GRANULE_OK);
  const std::string path = testing::TempPath("bss_in_place.go");
  ASSERT_EQ(granule_builder_write(builder.get(), path.c_str()), GRANULE_OK);
  const std::vector<uint8_t> bytes = ReadFile(path);
  AlignedBuffer buffer(bytes.size());
  std::memcpy(buffer.data, bytes.data(), bytes.size());
  ExpectRefused(buffer.data, bytes.size(), nullptr, GRANULE_OUT_OF_RANGE,
                "(p_memsz included) but size is 0x");
}

}  // namespace
}  // namespace granule::capi
