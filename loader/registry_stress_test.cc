// SPDX-License-Identifier: Apache-2.0
// Eight threads load, look up and release images at once, through the host's
// shared path and the malloc path, for thousands of rounds, while checking
// every answer of ImageRegistry::Global(): a thread's own image is found at
// each of its addresses, other threads' live images are found too, and an
// address just released is either not found or found in an image that really
// holds it now, never in a destroyed one. Run under --config=tsan as well.
#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "loader/image_registry.h"
#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"
#include "loader/elf/relocation_types.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

constexpr int kThreads = 8;
constexpr int kRoundsPerThread = 500;
constexpr uint64_t kElf32Base = 0x10000000;

// The test's own record of every image a thread holds, kept so that a
// lookup's answer can be judged without touching a destroyed image. An
// image enters (kLoading) from its init hook, before LoadImage registers it,
// and leaves only after its destructor has run, so every image the registry
// can return is here while the lookup holds the lock.
class Ledger {
 public:
  enum class State { kLoading, kLive, kRetiring };

  void Enter(const LoadedImage& image, int owner) {
    absl::MutexLock lock(&mutex_);
    entries_.push_back(
        {&image, image.begin(), image.end(), State::kLoading, owner});
  }
  // False when `image` is not in state `from`: the test lost track.
  bool SetState(const LoadedImage* image, State from, State to) {
    absl::MutexLock lock(&mutex_);
    Entry* e = Find(image, from);
    if (e != nullptr) e->state = to;
    return e != nullptr;
  }
  bool Leave(const LoadedImage* image) {
    absl::MutexLock lock(&mutex_);
    Entry* e = Find(image, State::kRetiring);
    if (e != nullptr) entries_.erase(entries_.begin() + (e - entries_.data()));
    return e != nullptr;
  }
  size_t size() const {
    absl::ReaderMutexLock lock(&mutex_);
    return entries_.size();
  }

  // Asks the registry about `address` and judges the answer; empty if right.
  std::string CheckLookup(uintptr_t address) const {
    absl::ReaderMutexLock lock(&mutex_);
    return Judge(address, ImageRegistry::Global().Find(address));
  }

  // Looks up an address inside a live image of another thread, if any.
  std::string CheckOthers(int owner, std::mt19937_64& random) const {
    absl::ReaderMutexLock lock(&mutex_);
    std::vector<const Entry*> others;
    for (const Entry& e : entries_) {
      if (e.owner != owner && e.state == State::kLive) others.push_back(&e);
    }
    if (others.empty()) return "";
    const Entry& e = *others[random() % others.size()];
    const uintptr_t address = e.begin + random() % (e.end - e.begin);
    return Judge(address, ImageRegistry::Global().Find(address));
  }

 private:
  struct Entry {
    const LoadedImage* image;
    uintptr_t begin, end;
    State state;
    int owner;
  };

  Entry* Find(const LoadedImage* image, State state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    for (Entry& e : entries_) {
      if (e.image == image && e.state == state) return &e;
    }
    return nullptr;
  }

  // A live image holding `address` must be the answer; otherwise no answer,
  // or one that is loading or being released and holds it. Regions of
  // images alive at once never overlap, so at most one is live.
  std::string Judge(uintptr_t address, const LoadedImage* found) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
    bool may_be_found = false;
    for (const Entry& e : entries_) {
      if (address < e.begin || address >= e.end) continue;
      if (e.state == State::kLive) {
        if (found == e.image && found->Contains(address)) return "";
        return absl::StrFormat("0x%x: live image %p, registry said %p", address,
                               e.image, found);
      }
      may_be_found |= found == e.image;
    }
    if (found == nullptr || may_be_found) return "";
    return absl::StrFormat(
        "0x%x: registry gave %p, which holds no such "
        "address or no longer exists",
        address, found);
  }

  mutable absl::Mutex mutex_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mutex_);
};

struct Kind {
  std::string path;
  LoadOptions::PathChoice choice;
  bool elf32;
};

ImageSpec Spec(ElfVariant variant, Layout layout, RelocationFormat format) {
  ImageSpec spec;
  spec.variant = variant;
  spec.layout = layout;
  spec.relocation_format = format;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       granule::testing::PatternBytes(2000, 1), 0},
      {".data", SectionAccess::kReadWrite, 8,
       granule::testing::PatternBytes(64, 2), 0},
      {".bss", SectionAccess::kReadWrite, 8, {}, 0x5000},
  };
  spec.relocations = {{{".data", 0}, {".rodata", 8}},
                      {{".data", 8}, {".bss", 0}}};
  return spec;
}

// Four different images, each by the shared and by the malloc path.
std::vector<Kind> MakeKinds() {
  std::vector<std::pair<std::string, bool>> images;
  const std::pair<ImageSpec, bool> specs[] = {
      {Spec({true, false}, Layout::kOneToOne, RelocationFormat::kRela), false},
      {Spec({true, true}, Layout::kCompact, RelocationFormat::kRelr), false},
      {Spec({false, false}, Layout::kCompact, RelocationFormat::kRel), true},
  };
  for (const auto& [spec, elf32] : specs) {
    const std::string path = granule::testing::TempPath("stress");
    const absl::Status written = WriteImage(spec, path);
    EXPECT_TRUE(written.ok()) << written;
    images.push_back({path, elf32});
  }
  absl::StatusOr<std::string> raw = granule::testing::WriteTempFile(
      "stress_raw", granule::testing::RelocatedImage(
                        ElfVariant{}, granule::testing::RawRelocations::kRela,
                        elf::kMachineNone, kGranuleRelative)
                        .Encode());
  EXPECT_TRUE(raw.ok()) << raw.status();
  images.push_back({raw.value_or(""), false});
  std::vector<Kind> kinds;
  for (const auto& [path, elf32] : images) {
    kinds.push_back({path, LoadOptions::PathChoice::kAuto, elf32});
    kinds.push_back({path, LoadOptions::PathChoice::kMalloc, elf32});
  }
  return kinds;
}

struct Tally {
  std::atomic<uint64_t> rounds{0}, lookups{0}, wrong{0};
  absl::Mutex mutex;
  std::vector<std::string> errors ABSL_GUARDED_BY(mutex);

  void Count(const std::string& error) {
    ++lookups;
    if (error.empty()) return;
    ++wrong;
    absl::MutexLock lock(&mutex);
    if (errors.size() < 10) errors.push_back(error);
  }
};

std::unique_ptr<LoadedImage> Load(const Kind& kind, int owner, Ledger& ledger,
                                  Tally& tally) {
  LoadOptions options;
  options.path = kind.choice;
  if (kind.elf32) options.relocation_base = kElf32Base;
  options.init = [&ledger, owner](const LoadedImage& image) {
    ledger.Enter(image, owner);
    return absl::OkStatus();
  };
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(kind.path, options);
  if (!image.ok()) {
    tally.Count(absl::StrCat("load failed: ", image.status().ToString()));
    return nullptr;
  }
  if (!ledger.SetState(image->get(), Ledger::State::kLoading,
                       Ledger::State::kLive)) {
    tally.Count("a loaded image never ran its init hook");
  }
  return *std::move(image);
}

// Its own image is found at its first and last byte and not past its end.
void CheckOwn(const LoadedImage& image, Tally& tally) {
  const ImageRegistry& registry = ImageRegistry::Global();
  tally.Count(registry.Find(image.begin()) == &image ? "" : "own first byte");
  tally.Count(registry.Find(image.end() - 1) == &image ? "" : "own last byte");
  tally.Count(registry.Find(image.end()) != &image ? "" : "own end found");
}

void Release(std::unique_ptr<LoadedImage> image, Ledger& ledger, Tally& tally) {
  const LoadedImage* gone = image.get();
  const uintptr_t begin = image->begin(), end = image->end();
  const bool tracked =
      ledger.SetState(gone, Ledger::State::kLive, Ledger::State::kRetiring);
  image.reset();
  tally.Count(tracked && ledger.Leave(gone) ? "" : "ledger lost an image");
  tally.Count(ledger.CheckLookup(begin));
  tally.Count(ledger.CheckLookup(end - 1));
}

// Each round loads one image and releases the one before, so a thread holds
// one or two images and other threads always have some to look up.
void Worker(int owner, const std::vector<Kind>& kinds, Ledger& ledger,
            Tally& tally) {
  std::mt19937_64 random(owner);
  std::unique_ptr<LoadedImage> previous;
  for (int round = 0; round < kRoundsPerThread; ++round) {
    std::unique_ptr<LoadedImage> image =
        Load(kinds[(owner + round) % kinds.size()], owner, ledger, tally);
    if (image != nullptr) CheckOwn(*image, tally);
    tally.Count(ledger.CheckOthers(owner, random));
    tally.Count(ledger.CheckOthers(owner, random));
    if (previous != nullptr) Release(std::move(previous), ledger, tally);
    previous = std::move(image);
    ++tally.rounds;
  }
  if (previous != nullptr) Release(std::move(previous), ledger, tally);
}

TEST(RegistryStressTest, EightThreadsLoadLookUpAndRelease) {
  const std::vector<Kind> kinds = MakeKinds();
  ASSERT_EQ(ImageRegistry::Global().size(), 0u);
  Ledger ledger;
  Tally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(Worker, t, std::cref(kinds), std::ref(ledger),
                         std::ref(tally));
  }
  for (std::thread& thread : threads) thread.join();

  std::printf(
      "registry stress: %d threads, %llu rounds, %llu lookups, "
      "%llu wrong\n",
      kThreads, static_cast<unsigned long long>(tally.rounds.load()),
      static_cast<unsigned long long>(tally.lookups.load()),
      static_cast<unsigned long long>(tally.wrong.load()));
  EXPECT_EQ(tally.rounds.load(), uint64_t{kThreads} * kRoundsPerThread);
  EXPECT_EQ(tally.wrong.load(), 0u);
  absl::MutexLock lock(&tally.mutex);
  for (const std::string& error : tally.errors) ADD_FAILURE() << error;
  EXPECT_EQ(ImageRegistry::Global().size(), 0u);
  EXPECT_EQ(ledger.size(), 0u);
}

}  // namespace
}  // namespace granule
