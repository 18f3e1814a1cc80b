// SPDX-License-Identifier: Apache-2.0
#include "platform/memory/backend_test_fixture.h"

#include <utility>

#include "platform/memory/malloc_backend.h"
#include "platform/memory/simulated_backend.h"
#include "testing/host_backend_fixture.h"

namespace granule::testing {
namespace {

std::shared_ptr<MemoryBackend> Simulated(size_t page, size_t granularity) {
  return std::make_shared<SimulatedBackend>(
      *PageGeometry::Create(page, granularity));
}

std::shared_ptr<MemoryBackend> Host() {
  // The host backend lives for the process; do not delete it.
  return std::shared_ptr<MemoryBackend>(*HostMemoryBackend(),
                                        [](MemoryBackend*) {});
}

std::vector<BackendCase> OneRegionEach() {
  return {
      {Host()->traits().name, Host},
      {"malloc", [] { return std::make_shared<MallocBackend>(); }},
      {"sim4k", [] { return Simulated(4 * kKiB, 4 * kKiB); }},
      {"sim16k", [] { return Simulated(16 * kKiB, 16 * kKiB); }},
      {"sim64k", [] { return Simulated(64 * kKiB, 64 * kKiB); }},
      {"sim256k", [] { return Simulated(256 * kKiB, 256 * kKiB); }},
      {"sim_windows", [] { return Simulated(4 * kKiB, 64 * kKiB); }},
  };
}

}  // namespace

void PrintTo(const BackendCase& c, std::ostream* os) { *os << c.name; }

std::vector<BackendCase> AllBackends() {
  std::vector<BackendCase> cases = OneRegionEach();
  for (BackendCase c : OneRegionEach()) {
    c.name += "_arena";
    c.arena = true;
    cases.push_back(c);
  }
  return cases;
}

std::vector<BackendCase> BackendsWhere(
    const std::function<bool(const MemoryBackend&)>& keep) {
  std::vector<BackendCase> cases = AllBackends();
  cases.erase(std::remove_if(cases.begin(), cases.end(),
                             [&](const BackendCase& c) {
                               return !keep(*c.make());
                             }),
              cases.end());
  return cases;
}

std::vector<BackendCase> EnforcingBackends() {
  return BackendsWhere([](const MemoryBackend& b) {
    return b.traits().enforces_protection;
  });
}

std::string BackendCaseName(
    const ::testing::TestParamInfo<BackendCase>& info) {
  return info.param.name;
}

void BackendTest::SetUp() {
  backend_ = GetParam().make();
  const size_t regions_at_start = backend_->live_regions();
  if (GetParam().arena) {
    arena_ = AddressArena::Create(*backend_);
    // The arena's first region stays for its life: reserve it now, so the
    // ledger below counts only the test's own regions.
    ASSERT_TRUE(arena_->Reserve(1, 1).ok());
  }
  regions_before_ = backend_->live_regions();
  mappings_before_ = backend_->live_mappings();
  regions_at_start_ = regions_at_start;
}

void BackendTest::TearDown() {
  EXPECT_EQ(backend_->live_regions(), regions_before_);
  EXPECT_EQ(backend_->live_mappings(), mappings_before_);
  arena_.reset();
  EXPECT_EQ(backend_->live_regions(), regions_at_start_);
}

Region BackendTest::Reserve(size_t size) {
  absl::StatusOr<Region> region = arena_ != nullptr
                                       ? arena_->Reserve(size, unit())
                                       : backend_->Reserve(size, unit());
  EXPECT_TRUE(region.ok()) << region.status();
  return std::move(*region);
}

File BackendTest::OpenTemp(const std::vector<uint8_t>& bytes) {
  return OpenTempFile(bytes);
}

}  // namespace granule::testing
