// SPDX-License-Identifier: Apache-2.0
// The backend suites' fixture: every backend (the host's real one, named by
// its traits, malloc, and the simulated machines at 4K, 16K, 64K and 256K
// pages and Windows' 4K/64K split), each twice, with a Region per
// reservation and with slots of an AddressArena; the ledger checked after
// every test.
#ifndef GRANULE_PLATFORM_MEMORY_BACKEND_TEST_FIXTURE_H_
#define GRANULE_PLATFORM_MEMORY_BACKEND_TEST_FIXTURE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "platform/file.h"
#include "platform/memory/address_arena.h"
#include "platform/memory/memory_backend.h"

namespace granule::testing {

inline constexpr size_t kKiB = 1024;

struct BackendCase {
  std::string name;
  std::function<std::shared_ptr<MemoryBackend>()> make;
  bool arena = false;  // Regions are slots of an AddressArena.
};

void PrintTo(const BackendCase& c, std::ostream* os);

// Every backend, each with a Region per reservation and with an arena.
std::vector<BackendCase> AllBackends();
// Those of AllBackends() whose new backend `keep` holds for.
std::vector<BackendCase> BackendsWhere(
    const std::function<bool(const MemoryBackend&)>& keep);
// Those whose protections the hardware enforces.
std::vector<BackendCase> EnforcingBackends();
// A test's name from its case.
std::string BackendCaseName(const ::testing::TestParamInfo<BackendCase>& info);

class BackendTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override;
  // Every test, passing or failing its checks, must leave the ledger as found,
  // and the arena none of its regions once gone.
  void TearDown() override;

  PageGeometry geometry() const { return backend_->geometry(); }
  size_t page() const { return geometry().page_size(); }
  size_t granule() const { return geometry().allocation_granularity(); }
  // A placement unit valid on every backend, and at least 64 KiB.
  size_t unit() const { return std::max<size_t>(granule(), 64 * kKiB); }

  // A region of `size` bytes aligned to unit(): a slot of the arena when
  // the case has one. Failing is a test failure.
  Region Reserve(size_t size);
  File OpenTemp(const std::vector<uint8_t>& bytes);

  std::shared_ptr<MemoryBackend> backend_;
  std::shared_ptr<AddressArena> arena_;
  size_t regions_at_start_ = 0;
  size_t regions_before_ = 0;
  size_t mappings_before_ = 0;
};

}  // namespace granule::testing

#endif  // GRANULE_PLATFORM_MEMORY_BACKEND_TEST_FIXTURE_H_
