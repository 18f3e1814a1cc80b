// SPDX-License-Identifier: Apache-2.0
// The C API's boundary: status codes, the per-thread error text, exceptions
// turned into codes, and the loads the C test does not cover (foreign
// variants with a relocation base, failed writes leaving nothing behind).
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "gtest/gtest.h"
#include "loader/elf/byte_order.h"
#include "testing/temp_file.h"

namespace granule::capi {
namespace {

TEST(CapiVersionTest, LibraryAndHeaderAgree) {
  EXPECT_STREQ(granule_version(), GRANULE_VERSION_STRING);
  EXPECT_EQ(std::string(GRANULE_VERSION_STRING),
            std::to_string(GRANULE_VERSION_MAJOR) + "." +
                std::to_string(GRANULE_VERSION_MINOR) + "." +
                std::to_string(GRANULE_VERSION_PATCH));
}

TEST(CapiStatusTest, CodesAreAbslStatusCodes) {
  EXPECT_EQ(GRANULE_OK, static_cast<int>(absl::StatusCode::kOk));
  EXPECT_EQ(GRANULE_INVALID_ARGUMENT,
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(GRANULE_NOT_FOUND, static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(GRANULE_RESOURCE_EXHAUSTED,
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(GRANULE_FAILED_PRECONDITION,
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(GRANULE_OUT_OF_RANGE,
            static_cast<int>(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(GRANULE_INTERNAL, static_cast<int>(absl::StatusCode::kInternal));
  EXPECT_EQ(GRANULE_DATA_LOSS, static_cast<int>(absl::StatusCode::kDataLoss));
  EXPECT_STREQ(granule_status_name(GRANULE_DATA_LOSS), "DATA_LOSS");
  EXPECT_STREQ(granule_status_name(-1), "UNKNOWN_STATUS");
}

TEST(CapiStatusTest, BadAllocBecomesResourceExhausted) {
  EXPECT_EQ(Guard("f", []() -> absl::Status { throw std::bad_alloc(); }),
            GRANULE_RESOURCE_EXHAUSTED);
  EXPECT_STREQ(granule_last_error(), "f: out of memory");
}

TEST(CapiStatusTest, OtherExceptionsBecomeInternal) {
  EXPECT_EQ(
      Guard("g", []() -> absl::Status { throw std::runtime_error("boom"); }),
      GRANULE_INTERNAL);
  EXPECT_STREQ(granule_last_error(), "g: unexpected exception: boom");
  EXPECT_EQ(Guard("h", []() -> absl::Status { throw 7; }), GRANULE_INTERNAL);
  EXPECT_STREQ(granule_last_error(), "h: unexpected exception");
}

TEST(CapiStatusTest, SuccessKeepsTheLastFailure) {
  EXPECT_EQ(Guard("f", [] { return absl::NotFoundError("lost"); }),
            GRANULE_NOT_FOUND);
  EXPECT_EQ(Guard("f", [] { return absl::OkStatus(); }), GRANULE_OK);
  EXPECT_STREQ(granule_last_error(), "lost");
}

TEST(CapiStatusTest, ErrorTextIsPerThread) {
  granule_image* image = nullptr;
  ASSERT_EQ(granule_load("/nonexistent/a.go", nullptr, &image),
            GRANULE_NOT_FOUND);
  std::string other_thread_text = "unset";
  std::thread([&] {
    other_thread_text = granule_last_error();
    granule_load("/nonexistent/b.go", nullptr, &image);
  }).join();
  EXPECT_EQ(other_thread_text, "");
  EXPECT_NE(std::strstr(granule_last_error(), "/nonexistent/a.go"), nullptr);
}

TEST(CapiStatusTest, NullHandlesAreInvalidArguments) {
  EXPECT_EQ(granule_builder_add_section(nullptr, ".x", GRANULE_ACCESS_R,
                                        nullptr, 0, 8),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(),
               "granule_builder_add_section: builder is NULL");
  EXPECT_EQ(granule_image_segment(nullptr, 0, nullptr),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_EQ(granule_load("x", nullptr, nullptr), GRANULE_INVALID_ARGUMENT);
}

struct BuilderDeleter {
  void operator()(granule_builder* b) const { granule_builder_free(b); }
};
using Builder = std::unique_ptr<granule_builder, BuilderDeleter>;
struct ImageDeleter {
  void operator()(granule_image* i) const { granule_image_release(i); }
};
using Image = std::unique_ptr<granule_image, ImageDeleter>;

// An ELF32 big-endian image is relocated against an explicit base: the
// pointer in .data is that base plus .rodata's address, in 4 big-endian
// bytes, whatever this host is.
TEST(CapiLoadTest, ForeignVariantWithRelocationBase) {
  Builder builder(granule_builder_new());
  ASSERT_EQ(granule_builder_set_target(builder.get(), 32, GRANULE_BIG_ENDIAN),
            GRANULE_OK);
  const uint8_t constants[8] = {9, 8, 7, 6, 5, 4, 3, 2};
  const uint8_t data[4] = {};
  ASSERT_EQ(granule_builder_add_section(builder.get(), ".rodata",
                                        GRANULE_ACCESS_R, constants, 8, 8),
            GRANULE_OK);
  ASSERT_EQ(granule_builder_add_section(builder.get(), ".data",
                                        GRANULE_ACCESS_RW, data, 4, 4),
            GRANULE_OK);
  ASSERT_EQ(
      granule_builder_add_relocation(builder.get(), ".data", 0, ".rodata", 2),
      GRANULE_OK);
  const std::string path = testing::TempPath("elf32be.go");
  ASSERT_EQ(granule_builder_write(builder.get(), path.c_str()), GRANULE_OK)
      << granule_last_error();

  granule_load_options options;
  granule_load_options_init(&options);
  options.path = GRANULE_PATH_MALLOC;
  options.has_relocation_base = 1;
  options.relocation_base = 0x10000000;
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load(path.c_str(), &options, &loaded), GRANULE_OK)
      << granule_last_error();
  Image image(loaded);
  const void* rodata = nullptr;
  const void* relocated = nullptr;
  uint64_t size = 0;
  ASSERT_EQ(granule_image_section(image.get(), ".rodata", &rodata, &size),
            GRANULE_OK);
  ASSERT_EQ(granule_image_section(image.get(), ".data", &relocated, &size),
            GRANULE_OK);
  ASSERT_EQ(size, 4u);
  const uint64_t rodata_address =
      reinterpret_cast<uintptr_t>(rodata) - granule_image_base(image.get());
  EXPECT_EQ(LoadUnsigned(static_cast<const uint8_t*>(relocated), 4,
                         /*big_endian=*/true),
            0x10000000 + rodata_address + 2);
}

TEST(CapiWriteTest, FailedWriteLeavesNothingBehind) {
  const std::filesystem::path dir = testing::TempPath("failed_write");
  std::filesystem::create_directory(dir);
  Builder builder(granule_builder_new());
  const uint8_t bytes[8] = {};
  ASSERT_EQ(granule_builder_add_section(builder.get(), ".data",
                                        GRANULE_ACCESS_RW, bytes, 8, 8),
            GRANULE_OK);
  // Relocations may name sections added later, so this is caught at write.
  ASSERT_EQ(
      granule_builder_add_relocation(builder.get(), ".data", 0, ".later", 0),
      GRANULE_OK);
  EXPECT_EQ(
      granule_builder_write(builder.get(), (dir / "a.go").string().c_str()),
      GRANULE_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(granule_last_error(), ".later"), nullptr)
      << granule_last_error();
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(CapiWriteTest, BadSectionArgumentsAreNamed) {
  Builder builder(granule_builder_new());
  ASSERT_EQ(granule_builder_add_zero_section(builder.get(), ".bss", 64, 3),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(),
               "granule_builder_add_zero_section: section .bss: alignment 3 "
               "is not a power of two");
  EXPECT_EQ(granule_builder_add_section(builder.get(), ".rodata",
                                        GRANULE_ACCESS_R, nullptr, 4, 8),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(),
               "granule_builder_add_section: section .rodata: bytes is NULL "
               "but size is 4");
}

TEST(CapiWriteTest, SectionNamesAreCheckedWhenAdded) {
  Builder builder(granule_builder_new());
  const uint8_t bytes[8] = {};
  for (const char* reserved :
       {".dynamic", ".rela.dyn", ".rel.dyn", ".relr.dyn", ".shstrtab"}) {
    EXPECT_EQ(granule_builder_add_section(builder.get(), reserved,
                                          GRANULE_ACCESS_R, bytes, 8, 8),
              GRANULE_INVALID_ARGUMENT);
    EXPECT_EQ(granule_last_error(),
              std::string("granule_builder_add_section: section ") + reserved +
                  ": the name is reserved for a section the writer adds");
  }
  ASSERT_EQ(granule_builder_add_section(builder.get(), ".data",
                                        GRANULE_ACCESS_RW, bytes, 8, 8),
            GRANULE_OK);
  EXPECT_EQ(granule_builder_add_zero_section(builder.get(), ".data", 64, 8),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(),
               "granule_builder_add_zero_section: section .data: the name is "
               "already used by section 0");
  // The refused sections were not added: the image writes.
  const std::string path = testing::TempPath("checked_names.go");
  EXPECT_EQ(granule_builder_write(builder.get(), path.c_str()), GRANULE_OK)
      << granule_last_error();
}

TEST(CapiWriteTest, MisalignedRelocationPlaceIsNamed) {
  Builder builder(granule_builder_new());
  const uint8_t bytes[16] = {};
  ASSERT_EQ(granule_builder_add_section(builder.get(), ".data",
                                        GRANULE_ACCESS_RW, bytes, 16, 8),
            GRANULE_OK);
  ASSERT_EQ(
      granule_builder_add_relocation(builder.get(), ".data", 4, ".data", 0),
      GRANULE_OK);
  const std::string path = testing::TempPath("misaligned.go");
  EXPECT_EQ(granule_builder_write(builder.get(), path.c_str()),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(granule_last_error(), "'.data'+0x4"), nullptr)
      << granule_last_error();
  EXPECT_NE(std::strstr(granule_last_error(), "is not word-aligned"), nullptr)
      << granule_last_error();
}

// An init hook's return that is no status code fails the load as UNKNOWN,
// and its text keeps the value.
TEST(CapiLoadTest, InitHookReturningOtherValuesFailsAsUnknown) {
  Builder builder(granule_builder_new());
  const uint8_t bytes[8] = {};
  ASSERT_EQ(granule_builder_add_section(builder.get(), ".data",
                                        GRANULE_ACCESS_RW, bytes, 8, 8),
            GRANULE_OK);
  const std::string path = testing::TempPath("init_hook.go");
  ASSERT_EQ(granule_builder_write(builder.get(), path.c_str()), GRANULE_OK)
      << granule_last_error();
  const uint64_t before = granule_loaded_image_count();
  granule_load_options options;
  granule_load_options_init(&options);
  options.init = [](const granule_image*, void*) -> int32_t { return 42; };
  granule_image* loaded = nullptr;
  EXPECT_EQ(granule_load(path.c_str(), &options, &loaded), GRANULE_UNKNOWN);
  EXPECT_EQ(loaded, nullptr);
  EXPECT_EQ(granule_loaded_image_count(), before);
  EXPECT_EQ(granule_last_error(),
            path + ": the init hook failed with code 42 (UNKNOWN_STATUS)");
}

}  // namespace
}  // namespace granule::capi
