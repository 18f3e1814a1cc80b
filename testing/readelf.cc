// SPDX-License-Identifier: Apache-2.0
#include "testing/readelf.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "platform/status_macros.h"
#include "testing/readelf_rows.h"
#include "testing/temp_file.h"

namespace granule::testing {
namespace {

using readelf_rows::ParseAnnouncedCount;
using readelf_rows::ParseDynamicRow;
using readelf_rows::ParseHex;
using readelf_rows::ParseRelocationRow;
using readelf_rows::ParseRelrRow;
using readelf_rows::ParseSectionRow;
using readelf_rows::ParseSegmentRow;
using readelf_rows::Words;

// Wide lines (-W) so that no row wraps, and every table this file parses.
constexpr char kCommand[] = "readelf -W -h -l -S -d -r";

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

// One file's part of the output, line by line.
class ReportParser {
 public:
  explicit ReportParser(std::string path) { report_.path = std::move(path); }

  absl::Status Line(absl::string_view line) {
    absl::StrAppend(&report_.output, line, "\n");
    const absl::string_view stripped = absl::StripAsciiWhitespace(line);
    if (stripped.empty()) return CloseTable();
    if (awaiting_titles_) {
      awaiting_titles_ = false;
      return TitleLine(stripped);
    }
    switch (block_) {
      case Block::kNone:
        return OpeningLine(stripped);
      case Block::kElfHeader:
        return HeaderLine(stripped);
      case Block::kSections:
        return SectionLine(stripped);
      case Block::kSegments:
        if (absl::StartsWith(stripped, "[")) {  // The interpreter's path.
          return absl::OkStatus();
        }
        return AddRow(stripped, ParseSegmentRow, &report_.segments);
      case Block::kDynamic:
        return AddRow(stripped, ParseDynamicRow, &report_.dynamic);
      case Block::kRelocations:
        return AddRow(
            stripped,
            [this](absl::string_view row, ReadelfRelocation* relocation) {
              return ParseRelocationRow(row, rela_, relocation);
            },
            &report_.relocations);
      case Block::kRelr:
        return AddRow(stripped, ParseRelrRow, &report_.relr_offsets);
    }
    return absl::OkStatus();
  }

  // Checks the counts readelf announced against the rows parsed, so a line
  // the parser skipped by mistake cannot go unnoticed.
  absl::StatusOr<ReadelfReport> Finish() {
    GRANULE_RETURN_IF_ERROR(CloseTable());
    if (report_.ident.size() != 16) return Error("no 16-byte Magic line");
    if (report_.sections.size() != shnum_) {
      return Error(absl::StrFormat("%d section headers announced, %d parsed",
                                   shnum_, report_.sections.size()));
    }
    if (report_.segments.size() != phnum_) {
      return Error(absl::StrFormat("%d program headers announced, %d parsed",
                                   phnum_, report_.segments.size()));
    }
    return std::move(report_);
  }

 private:
  enum class Block {
    kNone,  // Prose between the tables: skipped.
    kElfHeader,
    kSections,
    kSegments,
    kDynamic,
    kRelocations,  // REL or RELA rows.
    kRelr,
  };
  // A table whose announced row count is checked where the table ends.
  struct Table {
    std::string rows;  // What a row is, for the error.
    size_t announced = 0;
    size_t parsed = 0;
  };

  absl::Status Error(absl::string_view what) const {
    return absl::InternalError(
        absl::StrCat("readelf output for ", report_.path, ": ", what));
  }
  absl::Status BadLine(absl::string_view line) const {
    return Error(absl::StrCat("cannot parse \"", line, "\""));
  }

  void Open(Block block, absl::string_view titles) {
    block_ = block;
    titles_ = titles;
    awaiting_titles_ = true;
  }

  absl::Status CloseTable() {
    block_ = Block::kNone;
    if (awaiting_titles_) return Error(absl::StrCat("no \"", titles_, "\""));
    if (!table_.has_value()) return absl::OkStatus();
    const Table table = *std::move(table_);
    table_.reset();
    if (table.parsed == table.announced) return absl::OkStatus();
    return Error(absl::StrFormat("%d %s announced, %d parsed", table.announced,
                                 table.rows, table.parsed));
  }

  // Recognises the lines that open a table; anything else is prose ("Key to
  // Flags", the section to segment mapping, "There are no relocations").
  absl::Status OpeningLine(absl::string_view line) {
    size_t count;
    if (line == "ELF Header:") {
      block_ = Block::kElfHeader;
    } else if (line == "Section Headers:") {
      Open(Block::kSections, "[Nr]");
    } else if (line == "Program Headers:") {
      Open(Block::kSegments, "Type ");
    } else if (absl::StartsWith(line, "Dynamic section at offset")) {
      if (!ParseAnnouncedCount(line, &count)) return BadLine(line);
      Open(Block::kDynamic, "Tag ");
      table_ = Table{"dynamic entries", count};
    } else if (absl::string_view rest = line;
               absl::ConsumePrefix(&rest, "Relocation section '")) {
      const absl::string_view name = rest.substr(0, rest.find('\''));
      if (!ParseAnnouncedCount(line, &count)) return BadLine(line);
      report_.relocation_sections.push_back(std::string(name));
      Open(Block::kRelocations, "Offset ");
      table_ = Table{absl::StrCat("relocations in '", name, "'"), count};
    }
    return absl::OkStatus();
  }

  // The column titles; for a RELR section readelf prints "N offsets" instead,
  // and the count of offsets replaces that of table words.
  absl::Status TitleLine(absl::string_view line) {
    const std::vector<absl::string_view> words = Words(line);
    if (block_ == Block::kRelocations && words.size() == 2 &&
        absl::StartsWith(words[1], "offset")) {
      block_ = Block::kRelr;
      table_->rows = absl::StrCat("RELR offsets in '",
                                  report_.relocation_sections.back(), "'");
      if (!absl::SimpleAtoi(words[0], &table_->announced)) {
        return BadLine(line);
      }
      return absl::OkStatus();
    }
    if (!absl::StartsWith(line, titles_)) return BadLine(line);
    rela_ = absl::StrContains(line, "Addend");
    return absl::OkStatus();
  }

  // "Entry point address:               0x0".
  absl::Status HeaderLine(absl::string_view line) {
    if (!absl::StrContains(line, ':')) return BadLine(line);
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    const absl::string_view key = absl::StripAsciiWhitespace(field.first);
    const absl::string_view value = absl::StripAsciiWhitespace(field.second);
    report_.header.emplace_back(key, value);
    if (key == "Magic") {
      for (absl::string_view byte : Words(value)) {
        uint32_t b;
        if (!absl::SimpleHexAtoi(byte, &b) || b > 0xff) return BadLine(line);
        report_.ident.push_back(static_cast<uint8_t>(b));
      }
    } else if (key == "Type") {
      report_.type = std::string(value.substr(0, value.find(' ')));
    } else if (key == "Machine") {
      report_.machine = std::string(value);
    } else if (key == "Entry point address") {
      if (!ParseHex(value, &report_.entry)) return BadLine(line);
    } else if (key == "Number of program headers") {
      if (!absl::SimpleAtoi(value, &phnum_)) return BadLine(line);
    } else if (key == "Number of section headers") {
      if (!absl::SimpleAtoi(value, &shnum_)) return BadLine(line);
    }
    return absl::OkStatus();
  }

  absl::Status SectionLine(absl::string_view line) {
    if (line == "Key to Flags:") {  // No blank line ends the table.
      block_ = Block::kNone;
      return absl::OkStatus();
    }
    size_t index;
    ReadelfSection section;
    if (!ParseSectionRow(line, &index, &section)) return BadLine(line);
    if (index != report_.sections.size()) {
      return Error(absl::StrFormat("section [%d] where [%d] was due", index,
                                   report_.sections.size()));
    }
    report_.sections.push_back(std::move(section));
    return absl::OkStatus();
  }

  // Parses a row with `parse`, appends it to `rows` and counts it against
  // the open table, if its count was announced.
  template <typename Row, typename Parse>
  absl::Status AddRow(absl::string_view line, Parse parse,
                      std::vector<Row>* rows) {
    if (table_.has_value()) ++table_->parsed;
    Row row{};
    if (!parse(line, &row)) return BadLine(line);
    rows->push_back(std::move(row));
    return absl::OkStatus();
  }

  ReadelfReport report_;
  Block block_ = Block::kNone;
  absl::string_view titles_;  // How the awaited column titles start.
  bool awaiting_titles_ = false;
  bool rela_ = false;  // The relocation table has an Addend column.
  std::optional<Table> table_;
  size_t phnum_ = 0;
  size_t shnum_ = 0;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs readelf on `paths`: returns its stdout and puts its stderr in `errors`.
absl::StatusOr<std::string> RunOn(const std::vector<std::string>& paths,
                                  std::string* errors) {
  const std::string errors_path = TempPath("readelf_stderr");
  std::string command = kCommand;
  for (const std::string& path : paths) {
    absl::StrAppend(&command, " ", ShellQuote(path));
  }
  absl::StrAppend(&command, " 2>", ShellQuote(errors_path));
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return absl::InternalError(absl::StrCat("cannot run: ", command));
  }
  std::string output;
  char buffer[1 << 16];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = pclose(pipe);
  *errors = ReadText(errors_path);
  std::remove(errors_path.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrFormat(
        "readelf exited with status %d on %d files starting with %s (is "
        "binutils installed? ./bazelw test installs it); stderr: %s",
        status, paths.size(), paths.empty() ? "" : paths[0],
        absl::string_view(*errors).substr(0, 2000)));
  }
  return output;
}

}  // namespace

std::string ReadelfReport::Header(absl::string_view key, int n) const {
  for (const auto& [k, v] : header) {
    if (k == key && n-- == 0) return v;
  }
  return absl::StrCat("(missing ", key, ")");
}

std::vector<ReadelfDynamic> ReadelfReport::DynamicBeforeNull() const {
  std::vector<ReadelfDynamic> entries;
  for (const ReadelfDynamic& entry : dynamic) {
    if (entry.tag == 0) break;
    entries.push_back(entry);
  }
  return entries;
}

absl::StatusOr<std::map<std::string, ReadelfReport>> ParseReadelfOutput(
    const std::string& output, const std::vector<std::string>& paths) {
  std::map<std::string, ReadelfReport> reports;
  // With more than one file readelf opens each one's part with "File: PATH".
  const bool headed = paths.size() > 1;
  size_t next = 0;
  std::optional<ReportParser> parser;
  auto finish = [&]() -> absl::Status {
    if (!parser) return absl::OkStatus();
    GRANULE_ASSIGN_OR_RETURN(ReadelfReport report, parser->Finish());
    reports[report.path] = std::move(report);
    return absl::OkStatus();
  };
  if (!headed && !paths.empty()) parser.emplace(paths[next++]);
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (headed && absl::ConsumePrefix(&line, "File: ")) {
      GRANULE_RETURN_IF_ERROR(finish());
      if (next >= paths.size() || line != paths[next]) {
        return absl::InternalError(absl::StrCat(
            "readelf output: unexpected header \"File: ", line, "\""));
      }
      parser.emplace(paths[next++]);
      continue;
    }
    if (!parser) continue;
    GRANULE_RETURN_IF_ERROR(parser->Line(line));
  }
  GRANULE_RETURN_IF_ERROR(finish());
  if (reports.size() != paths.size()) {
    return absl::InternalError(
        absl::StrFormat("readelf output: reports for %d of %d files",
                        reports.size(), paths.size()));
  }
  return reports;
}

absl::StatusOr<std::map<std::string, ReadelfReport>> RunReadelf(
    const std::vector<std::string>& paths) {
  // readelf does not say which file a warning is about, so a batch's stderr
  // is only shown when readelf fails.
  std::string errors;
  GRANULE_ASSIGN_OR_RETURN(std::string output, RunOn(paths, &errors));
  return ParseReadelfOutput(output, paths);
}

absl::StatusOr<ReadelfReport> RunReadelfOnFile(const std::string& path) {
  std::string errors;
  GRANULE_ASSIGN_OR_RETURN(std::string output, RunOn({path}, &errors));
  absl::StatusOr<std::map<std::string, ReadelfReport>> reports =
      ParseReadelfOutput(output, {path});
  if (!reports.ok()) return reports.status();
  ReadelfReport report = std::move(reports->at(path));
  report.warnings = std::move(errors);
  return report;
}

}  // namespace granule::testing
