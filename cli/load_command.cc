// SPDX-License-Identifier: Apache-2.0
#include "cli/load_command.h"

#include <chrono>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "cli/image_report.h"
#include "cli/json.h"
#include "platform/status_macros.h"

namespace granule::cli {
namespace {

double Millis(int64_t micros) { return micros / 1000.0; }

double FilesPerSecond(int files, int64_t micros) {
  return micros > 0 ? files * 1e6 / micros : 0.0;
}

struct TimedLoad {
  absl::StatusOr<std::unique_ptr<LoadedImage>> image;
  int64_t micros;
};

TimedLoad LoadTimed(const std::string& file, const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(file, options);
  const auto stop = std::chrono::steady_clock::now();
  return {std::move(image),
          std::chrono::duration_cast<std::chrono::microseconds>(stop - start)
              .count()};
}

}  // namespace

absl::StatusOr<uint64_t> ParseAddress(absl::string_view text) {
  uint64_t value = 0;
  const bool hex = absl::ConsumePrefix(&text, "0x");
  if (text.empty() || (hex ? !absl::SimpleHexAtoi(text, &value)
                           : !absl::SimpleAtoi(text, &value))) {
    return absl::InvalidArgumentError("expected an address such as 0x10000000");
  }
  return value;
}

absl::StatusOr<LoadOptions::PathChoice> ParsePathChoice(
    absl::string_view text) {
  using Choice = LoadOptions::PathChoice;
  if (text == "auto") return Choice::kAuto;
  if (text == "shared") return Choice::kShared;
  if (text == "malloc") return Choice::kMalloc;
  return absl::InvalidArgumentError(
      absl::StrFormat("--path=%s: expected auto, shared or malloc", text));
}

absl::Status ParseLoadFlagValues(absl::string_view path,
                                 absl::string_view relocation_base,
                                 LoadOptions& options) {
  GRANULE_ASSIGN_OR_RETURN(options.path, ParsePathChoice(path));
  if (relocation_base.empty()) return absl::OkStatus();
  absl::StatusOr<uint64_t> base = ParseAddress(relocation_base);
  if (!base.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--relocation-base=", relocation_base, ": ", base.status().message()));
  }
  options.relocation_base = *base;
  return absl::OkStatus();
}

void LoadTotals::Add(std::optional<LoadPath> path, int64_t micros) {
  if (!path) {
    ++failed;
    failed_micros += micros;
  } else if (*path == LoadPath::kShared) {
    ++shared;
    shared_micros += micros;
  } else {
    ++malloc;
    malloc_micros += micros;
  }
}

std::string FormatLoadTotals(const LoadTotals& t) {
  return absl::StrFormat(
      "loading %d %s took %.3f ms (%.0f files/s): shared %d (%.3f ms), "
      "malloc %d (%.3f ms), failed %d\n",
      t.files(), t.files() == 1 ? "file" : "files", Millis(t.micros()), FilesPerSecond(t.files(), t.micros()),
      t.shared, Millis(t.shared_micros), t.malloc, Millis(t.malloc_micros),
      t.failed);
}

std::string LoadTotalsJson(const LoadTotals& t) {
  return JsonObject()
      .Number("files", t.files())
      .Signed("micros", t.micros())
      .Double("files_per_second", FilesPerSecond(t.files(), t.micros()))
      .Number("shared", t.shared)
      .Signed("shared_micros", t.shared_micros)
      .Number("malloc", t.malloc)
      .Signed("malloc_micros", t.malloc_micros)
      .Number("failed", t.failed)
      .Build();
}

CommandResult RunLoad(const std::vector<std::string>& files,
                      const LoadFlags& flags) {
  CommandResult result;
  if (files.empty()) {
    result.exit_code = kExitUsage;
    result.errors.push_back("expected at least one FILE");
    return result;
  }
  const LoadOptions& options = flags.options;
  // A script reads every file; a person past 20 files, the totals.
  const bool detailed =
      flags.json || flags.verbose || files.size() <= kDetailedFileLimit;

  LoadTotals totals;
  std::vector<std::string> json_files;
  for (const std::string& file : files) {
    auto fail = [&](const absl::Status& error, int64_t micros) {
      totals.Add(std::nullopt, micros);
      result.errors.push_back(std::string(error.message()));
      json_files.push_back(JsonObject()
                               .FileName("file", file)
                               .String("error", error.message())
                               .Build());
    };
    TimedLoad load = LoadTimed(file, options);
    if (!load.image.ok()) {
      fail(load.image.status(), load.micros);
      continue;
    }
    if (detailed) {
      absl::StatusOr<ImageReport> report = DescribeImage(**load.image);
      if (!report.ok()) {
        fail(report.status(), load.micros);
        continue;
      }
      if (flags.json) {
        json_files.push_back(ImageReportJson(*report, load.micros));
      } else {
        absl::StrAppend(&result.report,
                        FormatImageReport(*report, load.micros));
      }
    }
    totals.Add((*load.image)->path(), load.micros);
  }
  if (flags.json) {
    result.report = JsonObject()
                        .Raw("files", JsonArray(json_files))
                        .Raw("summary", LoadTotalsJson(totals))
                        .Build() +
                    "\n";
  } else {
    absl::StrAppend(&result.report, FormatLoadTotals(totals));
  }
  if (totals.failed > 0) result.exit_code = kExitFailed;
  return result;
}

}  // namespace granule::cli
