#include "cli/alignment_demo.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/json.h"
#include "cli/platform_report.h"
#include "platform/malloc_backend.h"
#include "platform/simulated_backend.h"

namespace granule::cli {
namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kImageSize = 128 * kKiB;
constexpr size_t kWritableOffsets[] = {4 * kKiB, 64 * kKiB};

struct Machine {
  std::string label;
  MemoryBackend* backend;
};

struct Outcome {
  bool shared;         // The machine's own backend mapped it.
  std::string reason;  // Why it refused, when it did.
};

std::vector<uint8_t> ImageBytes() {
  std::vector<uint8_t> bytes(kImageSize);
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<uint8_t>((i * 131) ^ (i >> 10));
  }
  return bytes;
}

// Maps the read-only segment [0, rw_offset) and the writable one after it,
// writes one byte as a relocation would, and checks every byte and that the
// file did not change.
absl::Status LoadAndCheck(MemoryBackend& backend, const File& file,
                          size_t rw_offset,
                          const std::vector<uint8_t>& expected) {
  absl::StatusOr<Region> region = backend.Reserve(kImageSize, kImageAlignment);
  if (!region.ok()) return region.status();
  absl::Status status =
      region->MapFile(0, file, 0, rw_offset, Protection::kRead);
  if (status.ok()) {
    status = region->MapFile(rw_offset, file, rw_offset, kImageSize - rw_offset,
                             Protection::kReadWrite);
  }
  if (!status.ok()) return status;
  region->data()[rw_offset] ^= 0xFF;
  std::vector<uint8_t> want = expected;
  want[rw_offset] ^= 0xFF;
  std::vector<uint8_t> on_disk(kImageSize);
  absl::Status read = file.ReadAt(0, absl::MakeSpan(on_disk));
  if (!read.ok()) return read;
  if (std::memcmp(region->data(), want.data(), kImageSize) != 0 ||
      on_disk != expected) {
    return absl::DataLossError(absl::StrFormat(
        "%s: mapped bytes or file contents differ from the image",
        backend.traits().name));
  }
  return absl::OkStatus();
}

absl::StatusOr<Outcome> Attempt(MemoryBackend& backend, const File& file,
                                size_t rw_offset,
                                const std::vector<uint8_t>& expected) {
  absl::Status native = LoadAndCheck(backend, file, rw_offset, expected);
  if (native.ok()) return Outcome{true, ""};
  // The fix from the seed: where the machine refuses, copy instead of crash.
  absl::Status fallback =
      LoadAndCheck(HeapMemoryBackend(), file, rw_offset, expected);
  if (!fallback.ok()) return fallback;
  return Outcome{false, std::string(native.message())};
}

absl::StatusOr<std::string> WriteImage(const std::string& dir,
                                       const std::vector<uint8_t>& bytes) {
  std::string path =
      (std::filesystem::path(dir) / "granule-demo-image.bin").string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  out.close();
  if (!out) {
    return absl::PermissionDeniedError(
        absl::StrFormat("cannot write the demo image '%s'", path));
  }
  return path;
}

}  // namespace

absl::StatusOr<std::string> AlignmentDemo(const std::string& scratch_dir,
                                          bool json) {
  absl::StatusOr<MemoryBackend*> host = HostMemoryBackend();
  if (!host.ok()) return host.status();
  auto simulate = [](size_t page, size_t granularity) {
    return std::make_unique<SimulatedBackend>(
        *PageGeometry::Create(page, granularity));
  };
  std::unique_ptr<SimulatedBackend> sims[] = {
      simulate(4 * kKiB, 4 * kKiB), simulate(16 * kKiB, 16 * kKiB),
      simulate(64 * kKiB, 64 * kKiB), simulate(256 * kKiB, 256 * kKiB),
      simulate(4 * kKiB, 64 * kKiB)};
  const std::vector<Machine> machines = {
      {"4 KiB pages (x86-64)", sims[0].get()},
      {"16 KiB pages (Apple arm64)", sims[1].get()},
      {"64 KiB pages (ppc64, arm64)", sims[2].get()},
      {"256 KiB pages (hypothetical)", sims[3].get()},
      {"Windows (4 KiB, 64 KiB granule)", sims[4].get()},
      {absl::StrFormat("this machine (%s, %s pages)", (*host)->traits().name,
                       FormatBytes((*host)->geometry().page_size())),
       *host},
  };

  const std::vector<uint8_t> bytes = ImageBytes();
  absl::StatusOr<std::string> path = WriteImage(scratch_dir, bytes);
  if (!path.ok()) return path.status();
  // Removes the image on every return below.
  std::unique_ptr<const std::string, void (*)(const std::string*)> cleanup(
      &*path, [](const std::string* p) {
        std::error_code ignored;
        std::filesystem::remove(*p, ignored);
      });
  absl::StatusOr<File> file = File::OpenForReading(*path);
  if (!file.ok()) return file.status();

  std::string table, reasons, records;
  table = absl::StrFormat("%-34s %-22s %-22s\n", "machine", "writable at 4 KiB",
                          "writable at 64 KiB");
  for (const Machine& machine : machines) {
    std::string row = absl::StrFormat("%-34s", machine.label);
    for (size_t offset : kWritableOffsets) {
      absl::StatusOr<Outcome> outcome =
          Attempt(*machine.backend, *file, offset, bytes);
      if (!outcome.ok()) return outcome.status();
      const char* path_name = outcome->shared ? "shared" : "malloc";
      absl::StrAppendFormat(&row, " %-22s",
                            outcome->shared ? "mapped" : "refused -> malloc");
      if (!outcome->shared && reasons.empty()) {
        reasons =
            absl::StrFormat("e.g. %s, writable at %s: %s\n", machine.label,
                            FormatBytes(offset), outcome->reason);
      }
      absl::StrAppendFormat(
          &records,
          "%s{\"machine\":%s,\"writable_offset\":%u,\"path\":\"%s\","
          "\"reason\":%s}",
          records.empty() ? "" : ",", JsonString(machine.label), offset,
          path_name, JsonString(outcome->reason));
    }
    absl::StrAppend(&table, row, "\n");
  }
  if (json) {
    return absl::StrCat("{\"image_bytes\":", kImageSize, ",\"loads\":[",
                        records, "]}\n");
  }
  return absl::StrCat(
      "granule demo: one image, a read-only segment at 0 and a writable one "
      "after it,\nmapped segment by segment on simulated machines and on "
      "this one.\nEvery load is checked byte for byte; a write to the "
      "writable segment never reaches the file.\n\n",
      table, "\n", reasons,
      "\nWith the writable segment 64 KiB-aligned every machine up to 64 KiB "
      "pages shares the\nmapping; past that, and for the old 4 KiB layout, "
      "the loader falls back to a heap copy\ninstead of crashing.\n");
}

}  // namespace granule::cli
