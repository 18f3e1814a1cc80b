#include "testing/readelf.h"

#include <sys/wait.h>

#include <cstdio>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace granule::testing {
namespace {

// readelf's names for the program header types these tests meet.
constexpr std::pair<const char*, uint32_t> kSegmentTypes[] = {
    {"NULL", 0},
    {"LOAD", 1},
    {"DYNAMIC", 2},
    {"INTERP", 3},
    {"NOTE", 4},
    {"SHLIB", 5},
    {"PHDR", 6},
    {"TLS", 7},
    {"GNU_EH_FRAME", 0x6474e550},
    {"GNU_STACK", 0x6474e551},
    {"GNU_RELRO", 0x6474e552},
    {"GNU_PROPERTY", 0x6474e553},
};

std::string ShellQuote(const std::string& s) {
  std::string quoted = "'";
  for (char c : s) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

bool ParseHex(absl::string_view text, uint64_t* value) {
  return absl::ConsumePrefix(&text, "0x") && absl::SimpleHexAtoi(text, value);
}

// One file's part of the output, line by line.
class ReportParser {
 public:
  explicit ReportParser(std::string path) { report_.path = std::move(path); }

  absl::Status Line(absl::string_view line) {
    absl::string_view stripped = absl::StripAsciiWhitespace(line);
    if (stripped.empty()) {
      section_ = Section::kNone;
      return absl::OkStatus();
    }
    switch (section_) {
      case Section::kProgramHeaders:
        return SegmentLine(stripped);
      case Section::kDynamic:
        return DynamicLine(stripped);
      case Section::kNone:
        return HeaderLine(stripped);
    }
    return absl::OkStatus();
  }

  // Checks the counts readelf announced against the entries parsed, so a
  // line the parser skipped by mistake cannot go unnoticed.
  absl::StatusOr<ReadelfReport> Finish() {
    if (report_.ident.size() != 16) return Error("no 16-byte Magic line");
    if (report_.segments.size() != phnum_) {
      return Error(absl::StrFormat("%d program headers announced, %d parsed",
                                   phnum_, report_.segments.size()));
    }
    if (dynamic_seen_ != dynamic_announced_) {
      return Error(absl::StrFormat("%d dynamic entries announced, %d parsed",
                                   dynamic_announced_, dynamic_seen_));
    }
    return std::move(report_);
  }

 private:
  enum class Section { kNone, kProgramHeaders, kDynamic };

  absl::Status Error(absl::string_view what) const {
    return absl::InternalError(
        absl::StrCat("readelf output for ", report_.path, ": ", what));
  }
  absl::Status BadLine(absl::string_view line) const {
    return Error(absl::StrCat("cannot parse \"", line, "\""));
  }

  // The ELF header's fields, and the lines that open the other sections.
  absl::Status HeaderLine(absl::string_view line) {
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    absl::string_view value = absl::StripAsciiWhitespace(field.second);
    if (field.first == "Magic") {
      for (absl::string_view byte :
           absl::StrSplit(value, ' ', absl::SkipEmpty())) {
        uint32_t b;
        if (!absl::SimpleHexAtoi(byte, &b) || b > 0xff) return BadLine(line);
        report_.ident.push_back(static_cast<uint8_t>(b));
      }
    } else if (field.first == "Type") {
      report_.type = std::string(value.substr(0, value.find(' ')));
    } else if (field.first == "Machine") {
      report_.machine = std::string(value);
    } else if (field.first == "Entry point address") {
      if (!ParseHex(value, &report_.entry)) return BadLine(line);
    } else if (field.first == "Number of program headers") {
      if (!absl::SimpleAtoi(value, &phnum_)) return BadLine(line);
    } else if (absl::StartsWith(line, "Type ") &&
               absl::StrContains(line, "Align")) {
      section_ = Section::kProgramHeaders;  // The column titles.
    } else if (absl::StartsWith(line, "Dynamic section at offset")) {
      std::vector<absl::string_view> words = absl::StrSplit(line, ' ');
      if (words.size() < 2 ||
          !absl::SimpleAtoi(words[words.size() - 2], &dynamic_announced_)) {
        return BadLine(line);
      }
    } else if (absl::StartsWith(line, "Tag ") && dynamic_announced_ > 0) {
      section_ = Section::kDynamic;
    }
    return absl::OkStatus();
  }

  // "LOAD 0x000000 0x0...0 0x0...0 0x078f90 0x078f90 R E 0x10000".
  absl::Status SegmentLine(absl::string_view line) {
    if (absl::StartsWith(line, "[")) return absl::OkStatus();  // Interpreter.
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() < 7) return BadLine(line);  // Flags may be blank.
    ReadelfSegment s{};
    bool known = false;
    for (const auto& [name, number] : kSegmentTypes) {
      if (words[0] == name) {
        s.type = number;
        known = true;
      }
    }
    uint64_t* fields[] = {&s.offset, &s.vaddr, &s.paddr, &s.filesz, &s.memsz};
    for (int i = 0; i < 5; ++i) {
      if (!ParseHex(words[i + 1], fields[i])) return BadLine(line);
    }
    if (!known || !ParseHex(words.back(), &s.align)) return BadLine(line);
    for (size_t i = 6; i + 1 < words.size(); ++i) {
      for (char c : words[i]) {
        if (c == 'R')
          s.flags |= 4;
        else if (c == 'W')
          s.flags |= 2;
        else if (c == 'E')
          s.flags |= 1;
        else
          return BadLine(line);
      }
    }
    report_.segments.push_back(s);
    return absl::OkStatus();
  }

  // " 0x0000000037146002 (<unknown>: 37146002) 0xe8"; sizes print as
  // "1234 (bytes)". Entries from the first DT_NULL on are not kept.
  absl::Status DynamicLine(absl::string_view line) {
    ++dynamic_seen_;
    const size_t close = line.find(')');
    uint64_t tag;
    if (close == absl::string_view::npos ||
        !ParseHex(line.substr(0, line.find(' ')), &tag)) {
      return BadLine(line);
    }
    absl::string_view text = absl::StripAsciiWhitespace(line.substr(close + 1));
    std::optional<uint64_t> value;
    if (uint64_t v; ParseHex(text, &v) ||
                    absl::SimpleAtoi(text.substr(0, text.find(' ')), &v)) {
      value = v;
    }
    if (tag == 0) null_seen_ = true;
    if (!null_seen_) {
      report_.dynamic.push_back({static_cast<int64_t>(tag), value});
    }
    return absl::OkStatus();
  }

  ReadelfReport report_;
  Section section_ = Section::kNone;
  size_t phnum_ = 0;
  size_t dynamic_announced_ = 0;
  size_t dynamic_seen_ = 0;
  bool null_seen_ = false;
};

}  // namespace

absl::StatusOr<std::map<std::string, ReadelfReport>> ParseReadelfOutput(
    const std::string& output, const std::vector<std::string>& paths) {
  std::map<std::string, ReadelfReport> reports;
  // With more than one file readelf opens each one's part with "File: PATH".
  const bool headed = paths.size() > 1;
  size_t next = 0;
  std::optional<ReportParser> parser;
  auto finish = [&]() -> absl::Status {
    if (!parser) return absl::OkStatus();
    absl::StatusOr<ReadelfReport> report = parser->Finish();
    if (!report.ok()) return report.status();
    reports[report->path] = *std::move(report);
    return absl::OkStatus();
  };
  if (!headed && !paths.empty()) parser.emplace(paths[next++]);
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (headed && absl::ConsumePrefix(&line, "File: ")) {
      if (absl::Status s = finish(); !s.ok()) return s;
      if (next >= paths.size() || line != paths[next]) {
        return absl::InternalError(absl::StrCat(
            "readelf output: unexpected header \"File: ", line, "\""));
      }
      parser.emplace(paths[next++]);
      continue;
    }
    if (!parser) continue;
    if (absl::Status s = parser->Line(line); !s.ok()) return s;
  }
  if (absl::Status s = finish(); !s.ok()) return s;
  if (reports.size() != paths.size()) {
    return absl::InternalError(
        absl::StrFormat("readelf output: reports for %d of %d files",
                        reports.size(), paths.size()));
  }
  return reports;
}

absl::StatusOr<std::map<std::string, ReadelfReport>> RunReadelf(
    const std::vector<std::string>& paths) {
  std::string command = "readelf -W -h -l -d";
  for (const std::string& path : paths) {
    absl::StrAppend(&command, " ", ShellQuote(path));
  }
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return absl::InternalError(absl::StrCat("cannot run: ", command));
  }
  std::string output;
  char buffer[1 << 16];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrFormat(
        "readelf exited with status %d on %d files starting with %s (is "
        "binutils installed? ./bazelw test installs it)",
        status, paths.size(), paths.empty() ? "" : paths[0]));
  }
  return ParseReadelfOutput(output, paths);
}

}  // namespace granule::testing
