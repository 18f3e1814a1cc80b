// SPDX-License-Identifier: Apache-2.0
// map_whole_file: the file's bytes in place at base + offset on every path,
// sections outside the PT_LOAD segments found by name, the pages holding
// only those bytes read-only (asked of the kernel), and the refusals.
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "capi/capi_test_util.h"
#include "capi/granule.h"
#include "gtest/gtest.h"
#include "platform/page_state/page_state.h"
#include "testing/temp_file.h"

namespace granule::capi {
namespace {

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// A 1:1 image whose .shstrtab, which no PT_LOAD holds, spans several pages
// after the last segment: three sections with long names.
std::string ImageWithLongNames() {
  Builder builder(granule_builder_new());
  const uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (char c : {'a', 'b', 'c'}) {
    const std::string name = "." + std::string(20000, c);
    EXPECT_EQ(granule_builder_add_section(builder.get(), name.c_str(),
                                          GRANULE_ACCESS_R, bytes, 8, 8),
              GRANULE_OK);
  }
  EXPECT_EQ(granule_builder_add_section(builder.get(), ".data",
                                        GRANULE_ACCESS_RW, bytes, 8, 8),
            GRANULE_OK);
  const std::string path = testing::TempPath("long_names.go");
  EXPECT_EQ(granule_builder_write(builder.get(), path.c_str()), GRANULE_OK)
      << granule_last_error();
  return path;
}

// A .bss larger than the 64 KiB the writer covers with file zeros, so that
// what follows it in the file (the section names) sits under zero-filled
// memory. Returns the path, "" when writing failed.
std::string BigBssImage(const std::string& stem) {
  Builder builder(granule_builder_new());
  const uint8_t bytes[8] = {};
  EXPECT_EQ(granule_builder_add_section(builder.get(), ".data",
                                        GRANULE_ACCESS_RW, bytes, 8, 8),
            GRANULE_OK);
  EXPECT_EQ(granule_builder_add_zero_section(builder.get(), ".bss", 1 << 20, 8),
            GRANULE_OK);
  const std::string path = testing::TempPath(stem);
  if (granule_builder_write(builder.get(), path.c_str()) != GRANULE_OK) {
    ADD_FAILURE() << granule_last_error();
    return "";
  }
  return path;
}

struct Variant {
  granule_path_choice path;
  int copy_file_bytes;
};

class WholeFileTest : public ::testing::TestWithParam<Variant> {
 protected:
  Image Load(const std::string& path) {
    granule_load_options options;
    granule_load_options_init(&options);
    options.path = GetParam().path;
    options.copy_file_bytes = GetParam().copy_file_bytes;
    options.map_whole_file = 1;
    granule_image* loaded = nullptr;
    EXPECT_EQ(granule_load(path.c_str(), &options, &loaded), GRANULE_OK)
        << granule_last_error();
    return Image(loaded);
  }
};

TEST_P(WholeFileTest, EveryFileByteIsAtBasePlusItsOffset) {
  const std::string path = ImageWithLongNames();
  const std::vector<uint8_t> file = ReadFile(path);
  Image image = Load(path);
  ASSERT_NE(image, nullptr);
  EXPECT_NE(std::string(granule_image_reason(image.get())).find(
                "the whole file"),
            std::string::npos)
      << granule_image_reason(image.get());
  const void* data = nullptr;
  uint64_t size = 0;
  ASSERT_EQ(granule_image_file_bytes(image.get(), &data, &size), GRANULE_OK)
      << granule_last_error();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data), granule_image_base(image.get()));
  ASSERT_EQ(size, file.size());
  EXPECT_GE(granule_image_end(image.get()),
            granule_image_base(image.get()) + file.size());
  // No relocations: every byte is the file's, gaps and tail included.
  EXPECT_EQ(std::memcmp(data, file.data(), file.size()), 0);

  const void* names = nullptr;
  uint64_t names_size = 0;
  ASSERT_EQ(granule_image_section(image.get(), ".shstrtab", &names,
                                  &names_size),
            GRANULE_OK)
      << granule_last_error();
  EXPECT_GT(names_size, 60000u);
  const uint64_t offset = static_cast<const uint8_t*>(names) -
                          static_cast<const uint8_t*>(data);
  ASSERT_LE(offset + names_size, file.size());
  EXPECT_EQ(std::memcmp(names, file.data() + offset, names_size), 0);
  EXPECT_NE(std::memchr(names, 'c', names_size), nullptr);
  EXPECT_EQ(granule_find_image(names), image.get());
}

TEST_P(WholeFileTest, BytesOutsideTheSegmentsAreReadOnly) {
  const std::string path = ImageWithLongNames();
  Image image = Load(path);
  ASSERT_NE(image, nullptr);
  if (granule_image_path(image.get()) != GRANULE_LOADED_SHARED) {
    GTEST_SKIP() << "the malloc path's heap copy has no page protections";
  }
  const void* names = nullptr;
  uint64_t names_size = 0;
  ASSERT_EQ(granule_image_section(image.get(), ".shstrtab", &names,
                                  &names_size),
            GRANULE_OK);
  uint64_t page_size = 0;
  ASSERT_EQ(granule_page_geometry(&page_size, nullptr), GRANULE_OK);
  // The pages of .shstrtab past the one it may share with .data.
  const uintptr_t first =
      (reinterpret_cast<uintptr_t>(names) + page_size) & ~(page_size - 1);
  const uintptr_t last = reinterpret_cast<uintptr_t>(names) + names_size;
  ASSERT_GT(last, first + page_size);
  auto states = QueryPageStates(first, last - first);
  if (absl::IsUnimplemented(states.status())) {
    GTEST_SKIP() << states.status();
  }
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_FALSE(states->empty());
  for (const PageState& state : *states) {
    EXPECT_EQ(state.protection, Protection::kRead);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Paths, WholeFileTest,
    ::testing::Values(Variant{GRANULE_PATH_SHARED, 0},
                      Variant{GRANULE_PATH_SHARED, 1},
                      Variant{GRANULE_PATH_MALLOC, 0}),
    [](const ::testing::TestParamInfo<Variant>& info) {
      return std::string(info.param.path == GRANULE_PATH_SHARED ? "Shared"
                                                                : "Malloc") +
             (info.param.copy_file_bytes ? "Copied" : "");
    });

TEST(WholeFileOptionTest, WithoutItOnlyLoadedSectionsAndNoFileBytes) {
  const std::string path = SmallImage("plain.go");
  ASSERT_FALSE(path.empty());
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load(path.c_str(), nullptr, &loaded), GRANULE_OK);
  Image image(loaded);
  EXPECT_EQ(granule_image_section(image.get(), ".shstrtab", nullptr, nullptr),
            GRANULE_NOT_FOUND);
  EXPECT_EQ(granule_image_file_bytes(image.get(), nullptr, nullptr),
            GRANULE_FAILED_PRECONDITION);
  EXPECT_EQ(granule_last_error(),
            "granule_image_file_bytes: " + path +
                ": the image was loaded without options.map_whole_file");
}

TEST(WholeFileOptionTest, CompactImagesAreRefused) {
  const std::string path = SmallImage("compact.go", GRANULE_LAYOUT_COMPACT);
  ASSERT_FALSE(path.empty());
  granule_load_options options;
  granule_load_options_init(&options);
  options.map_whole_file = 1;
  const uint64_t before = granule_loaded_image_count();
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load(path.c_str(), &options, &image),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_EQ(image, nullptr);
  EXPECT_EQ(granule_loaded_image_count(), before);
  EXPECT_EQ(granule_last_error(),
            path + ": map_whole_file needs the 1:1 layout (p_offset == "
                   "p_vaddr), but the layout is compact");
}

// A .bss over file bytes: map_whole_file refuses the image with `message`
// (found in the error) and registers nothing; without it the image loads.
void ExpectRefusedWholeButLoaded(const std::string& stem, int skip_sections,
                                 const std::string& message) {
  const std::string path = BigBssImage(stem);
  ASSERT_FALSE(path.empty());
  granule_load_options options;
  granule_load_options_init(&options);
  options.map_whole_file = 1;
  options.skip_section_table = skip_sections;
  const uint64_t before = granule_loaded_image_count();
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load(path.c_str(), &options, &image),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_EQ(image, nullptr);
  EXPECT_EQ(granule_loaded_image_count(), before);
  EXPECT_NE(std::string(granule_last_error()).find(path + ": " + message),
            std::string::npos)
      << granule_last_error();
  options.map_whole_file = 0;  // Only the segments: nothing to hide.
  ASSERT_EQ(granule_load(path.c_str(), &options, &image), GRANULE_OK)
      << granule_last_error();
  granule_image_release(image);
}

TEST(WholeFileOptionTest, FileBytesUnderZeroFilledMemoryAreRefused) {
  ExpectRefusedWholeButLoaded("big_bss.go", 0,
                              "map_whole_file cannot show section '.shstrtab'");
}

// skip_section_table: the file is still whole in place, but no section is
// found by name, and nothing tells a section's bytes under .bss from padding.
TEST(SkipSectionTableTest, TheFileIsThereButNoSectionIsFoundByName) {
  const std::string path = SmallImage("skipped.go");
  ASSERT_FALSE(path.empty());
  granule_load_options options;
  granule_load_options_init(&options);
  options.map_whole_file = 1;
  options.skip_section_table = 1;
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load(path.c_str(), &options, &loaded), GRANULE_OK)
      << granule_last_error();
  Image image(loaded);
  const void* data = nullptr;
  uint64_t size = 0;
  ASSERT_EQ(granule_image_file_bytes(image.get(), &data, &size), GRANULE_OK);
  const std::vector<uint8_t> file = ReadFile(path);
  ASSERT_EQ(size, file.size());
  // The ELF header and the section table at the end, which no relocation
  // writes, are the file's.
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  EXPECT_EQ(std::memcmp(bytes, file.data(), 64), 0);
  EXPECT_EQ(std::memcmp(bytes + size - 64, file.data() + size - 64, 64), 0);
  for (const char* name : {".data", ".shstrtab"}) {
    EXPECT_EQ(granule_image_section(image.get(), name, nullptr, nullptr),
              GRANULE_FAILED_PRECONDITION);
    EXPECT_EQ(granule_last_error(), path + ": no section table to find '" +
                                        name + "' in: the load skipped it");
  }
  options.skip_section_table = 0;
  ASSERT_EQ(granule_load(path.c_str(), &options, &loaded), GRANULE_OK);
  Image read(loaded);
  EXPECT_EQ(granule_image_section(read.get(), ".shstrtab", nullptr, nullptr),
            GRANULE_OK);
}

TEST(SkipSectionTableTest, AnyFileBytesUnderZeroFilledMemoryAreRefused) {
  ExpectRefusedWholeButLoaded(
      "skipped_big_bss.go", 1,
      "map_whole_file cannot show bytes of no known section (the section "
      "table was not read) at file offset 0x");
}

// A cache may re-lay the file out, and must then move its sections: with a
// cache directory the table is read all the same.
TEST(SkipSectionTableTest, ACacheDirectoryReadsTheTableAllTheSame) {
  const std::string path = SmallImage("skipped_cached.go");
  ASSERT_FALSE(path.empty());
  const std::string cache = testing::TempPath("skip_cache");
  granule_load_options options;
  granule_load_options_init(&options);
  options.skip_section_table = 1;
  options.cache_dir = cache.c_str();
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load(path.c_str(), &options, &loaded), GRANULE_OK)
      << granule_last_error();
  Image image(loaded);
  EXPECT_EQ(granule_image_section(image.get(), ".data", nullptr, nullptr),
            GRANULE_OK)
      << granule_last_error();
}

TEST(WholeFileOptionTest, OlderCallersDoNotGetIt) {
  const std::string path = SmallImage("older.go");
  ASSERT_FALSE(path.empty());
  granule_load_options options;
  granule_load_options_init(&options);
  options.map_whole_file = 1;
  options.struct_size =
      static_cast<uint32_t>(offsetof(granule_load_options, map_whole_file));
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load(path.c_str(), &options, &loaded), GRANULE_OK);
  Image image(loaded);
  EXPECT_EQ(granule_image_file_bytes(image.get(), nullptr, nullptr),
            GRANULE_FAILED_PRECONDITION);
}

}  // namespace
}  // namespace granule::capi
