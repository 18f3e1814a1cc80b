// SPDX-License-Identifier: Apache-2.0
#include "cli/report_json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "loader/elf/elf_format.h"

namespace granule::cli {

std::string SegmentTypeName(uint32_t type) {
  switch (type) {
    case elf::kPtLoad:
      return "LOAD";
    case elf::kPtDynamic:
      return "DYNAMIC";
    case elf::kPtGnuRelro:
      return "GNU_RELRO";
  }
  return absl::StrFormat("0x%x", type);
}

JsonObject SegmentJson(const Segment& s) {
  JsonObject object;
  object.Number("index", s.index)
      .String("type", SegmentTypeName(s.type))
      .String("flags", s.FlagString())
      .Hex("offset", s.offset)
      .Hex("vaddr", s.vaddr)
      .Number("filesz", s.filesz)
      .Number("memsz", s.memsz)
      .Number("align", s.align);
  return object;
}

JsonObject VerdictJson(const PageSizeChoice& choice,
                       const LoadVerdict& verdict) {
  JsonObject object;
  object.String("token", choice.token)
      .Number("page_size", choice.geometry.page_size())
      .Number("allocation_granularity",
              choice.geometry.allocation_granularity())
      .String("load_path",
              verdict.route == LoadRoute::kCopy ? "malloc" : "shared")
      .String("reason",
              verdict.shared_whole() ? "" : verdict.refusal->Message())
      .String("route", LoadRouteName(verdict.route));
  return object;
}

std::string JsonReport(absl::string_view command, int exit_code,
                       absl::string_view body) {
  std::string head = JsonObject()
                         .Number("schema", kJsonSchema)
                         .String("command", command)
                         .Signed("exit_code", exit_code)
                         .Build();
  absl::string_view rest = absl::StripAsciiWhitespace(body);
  if (!absl::ConsumePrefix(&rest, "{")) return head + "\n";
  head.pop_back();  // The closing brace; the body's fields follow.
  return absl::StrCat(head, rest == "}" ? "" : ",", rest, "\n");
}

std::string JsonFailure(absl::string_view command, int exit_code,
                        const std::vector<std::string>& errors) {
  return JsonReport(command, exit_code,
                    JsonObject()
                        .String("error", errors.empty()
                                             ? "failed without a message"
                                             : absl::StrJoin(errors, "; "))
                        .Build());
}

}  // namespace granule::cli
