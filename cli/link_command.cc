// SPDX-License-Identifier: Apache-2.0
#include "cli/link_command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/check_command.h"
#include "cli/json.h"
#include "cli/link_description.h"
#include "cli/visible_text.h"
#include "loader/writer/image_writer.h"
#include "platform/file.h"
#include "platform/status_macros.h"

namespace granule::cli {
namespace {

// Descriptions are small; a large file is a mistake, such as an image.
constexpr uint64_t kMaxDescriptionBytes = 16 << 20;

CommandResult Failure(int exit_code, std::string error) {
  CommandResult result;
  result.exit_code = exit_code;
  result.errors.push_back(std::move(error));
  return result;
}

// "1 section", "2 sections".
std::string Counted(size_t count, const char* singular, const char* plural) {
  return absl::StrCat(count, " ", count == 1 ? singular : plural);
}

}  // namespace

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  GRANULE_ASSIGN_OR_RETURN(File file, File::OpenForReading(path));
  if (file.size() > kMaxDescriptionBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %u bytes is too large for a description (at most %u)", path,
        file.size(), kMaxDescriptionBytes));
  }
  std::string text(file.size(), '\0');
  GRANULE_RETURN_IF_ERROR(file.ReadAt(
      0, absl::MakeSpan(reinterpret_cast<uint8_t*>(text.data()), text.size())));
  return text;
}

CommandResult RunLink(const std::vector<std::string>& args,
                      const std::string& output, bool json) {
  if (args.size() != 1) {
    return Failure(kExitUsage, "expected one DESCRIPTION file");
  }
  if (output.empty()) {
    return Failure(kExitUsage, "expected --output=OUT (or -o OUT)");
  }
  const std::string& description = args[0];
  absl::StatusOr<std::string> text = ReadTextFile(description);
  if (!text.ok())
    return Failure(kExitFailed, std::string(text.status().message()));
  absl::StatusOr<ImageSpec> spec = ParseLinkDescription(*text, description);
  if (!spec.ok())
    return Failure(kExitFailed, std::string(spec.status().message()));
  if (absl::Status written = WriteImage(*spec, output); !written.ok()) {
    return Failure(kExitFailed,
                   absl::StrCat(description, ": ", written.message()));
  }

  // Read back what was written, so the report shows the file, not the plan.
  absl::StatusOr<std::vector<PageSizeChoice>> page_sizes =
      ParsePageSizeList(kDefaultPageSizes);
  if (!page_sizes.ok()) {
    return Failure(kExitFailed, std::string(page_sizes.status().message()));
  }
  const FileCheck check = CheckFile(output, *page_sizes);
  CommandResult result;
  if (!check.error.ok()) {
    result.exit_code = kExitFailed;
    result.errors.push_back(
        absl::StrFormat("%s was written but does not read back: %s", output,
                        check.error.message()));
  }
  if (json) {
    result.report = JsonObject()
                        .FileName("description", description)
                        .FileName("output", output)
                        .Number("sections", spec->sections.size())
                        .Number("relocations", spec->relocations.size())
                        .String("relocation_format",
                                RelocationFormatName(spec->relocation_format))
                        .Number("dynamic_entries", spec->dynamic.size())
                        .Raw("image", FileCheckJson(check, *page_sizes))
                        .Build() +
                    "\n";
  } else {
    result.report = absl::StrFormat(
        "linked %s -> %s: %s, %s (%s), %s\n%s", VisibleText(description),
        VisibleText(output),
        Counted(spec->sections.size(), "section", "sections"),
        Counted(spec->relocations.size(), "relocation", "relocations"),
        RelocationFormatName(spec->relocation_format),
        Counted(spec->dynamic.size(), "dynamic entry", "dynamic entries"),
        FormatFileCheck(check, *page_sizes));
  }
  return result;
}

}  // namespace granule::cli
