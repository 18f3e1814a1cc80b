// SPDX-License-Identifier: Apache-2.0
#include "cli/help_text.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command_line.h"

namespace granule::cli {
namespace {

// The flags are defined in main.cc, next to the commands that read them.
constexpr char kFlagsFile[] = "cli/main.cc";

constexpr char kExitCodes[] =
    "Exit status:\n"
    "  0  done: every file read, and (check) every page size takes the "
    "shared path\n"
    "  1  invalid input: a file is missing, unreadable or not a valid "
    "image, or a\n"
    "     load or write failed\n"
    "  2  bad command line: unknown command or flag, bad flag value, "
    "wrong arguments\n"
    "  3  check: every file is valid, but on some page size an image would "
    "be copied\n"
    "     to the heap (the malloc path)\n";

const std::vector<CommandDoc>& Docs() {
  static const auto* docs = new std::vector<CommandDoc>{
      {"info", "info", "page size, allocation granularity and memory backend "
       "here",
       "Prints this machine's page size and allocation granularity, the "
       "memory backend\nthe loader uses, and whether 64 KiB-aligned images "
       "take the shared path here.\n",
       "granule info --json", {}},
      {"check", "check FILE...",
       "which path each ELF image would take, per page size",
       "Reads each image and says, for each page size, whether the loader "
       "would map it\n(the shared path) or copy it to the heap (the malloc "
       "path), and why.\nNothing is loaded.\n",
       "granule check --page-size=4k,16k,64k,4k/64k guile/*.go",
       {"page_size"}},
      {"load", "load FILE...",
       "load each image; the path taken, protections, dynamic entries, "
       "timings",
       "Loads each image on this machine and reports the path taken and why, "
       "the base\naddress, each segment's protection as the kernel reports "
       "it, the dynamic\nentries and the load time. Past 20 files only the "
       "totals are printed as text,\nunless --verbose; --json always lists "
       "every file.\n",
       "granule load --path=malloc --allow-exec module.go",
       {"path", "allow_exec", "copy", "populate", "cache_dir",
        "relocation_base", "verbose"}},
      {"link", "link DESCRIPTION -o OUT",
       "write the image a text description specifies",
       "Writes the ELF image a text description specifies (sections, "
       "relocations,\ndynamic entries; see cli/testdata/sample.image), then "
       "reads it back and\nreports it as check does. A failed link leaves no "
       "file behind.\n",
       "granule link cli/testdata/sample.image -o sample.go", {"output"}},
      {"map", "map FILE",
       "draw the image's segments against page boundaries",
       "Draws the image's segments against the page boundaries of each page "
       "size and\nmarks the pages that two protections would share, as text, "
       "an SVG document\n(--svg) or JSON. Exit 0 when drawn, whatever the "
       "verdicts.\n",
       "granule map --svg --page-size=4k,64k module.go > module.svg",
       {"page_size", "svg"}},
      {"demo", "demo",
       "write a sample image and load it here and on simulated machines",
       "Writes a sample image to a scratch file, loads it by both paths on "
       "this machine\nand on simulated 4K/16K/64K/256K-page and Windows "
       "machines, and explains\nthe outcome. The scratch file is removed.\n",
       "granule demo", {}},
  };
  return *docs;
}

}  // namespace

const CommandDoc* FindCommandDoc(absl::string_view name) {
  for (const CommandDoc& doc : Docs()) {
    if (doc.name == name) return &doc;
  }
  return nullptr;
}

std::string GeneralHelp() {
  std::string out =
      "Usage: granule COMMAND [ARGUMENTS] [FLAGS]\n"
      "       granule help COMMAND    (or granule COMMAND --help)\n"
      "       granule --version\n\nCommands:\n";
  for (const CommandDoc& doc : Docs()) {
    absl::StrAppendFormat(&out, "  %-24s %s\n", doc.synopsis, doc.summary);
  }
  absl::StrAppend(&out, "\nFlags for every command:\n",
                  FlagsHelp(kFlagsFile, {"json"}), "\n", kExitCodes);
  return out;
}

std::string CommandHelp(const CommandDoc& doc) {
  std::set<std::string> flags = doc.flags;
  flags.insert("json");
  return absl::StrCat("Usage: granule ", doc.synopsis, " [FLAGS]\n\n",
                      doc.details, "\nFlags:\n", FlagsHelp(kFlagsFile, flags),
                      "\nExample:\n  ", doc.example, "\n\n", kExitCodes);
}

std::string UsageHint(absl::string_view command) {
  if (FindCommandDoc(command) == nullptr) return "Try 'granule --help'.";
  return absl::StrCat("Try 'granule help ", command, "'.");
}

}  // namespace granule::cli
