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
    "  0  done: every file read, and (check) on every page size every "
    "segment maps\n"
    "     from the file, the image whole or segment by segment\n"
    "  1  invalid input: a file or directory is missing or unreadable, a "
    "named file is\n"
    "     not a valid ELF executable or shared library (or image), or a load "
    "or write\n"
    "     failed\n"
    "  2  bad command line: unknown command or flag, bad flag value, "
    "wrong arguments\n"
    "  3  check: every file is valid, but on some page size some segment "
    "would be\n"
    "     copied to memory rather than mapped from the file\n";

const std::vector<CommandDoc>& Docs() {
  static const auto* docs = new std::vector<CommandDoc>{
      {"info", "info", "page size, allocation granularity and memory backend "
       "here",
       "Prints this machine's page size and allocation granularity, the "
       "memory backend\nthe loader uses, and whether 64 KiB-aligned images "
       "take the shared path here.\n",
       "granule info --json", {}},
      {"check", "check FILE|DIR...",
       "how each ELF file's segments map, per page size",
       "Reads each ELF executable, shared library or image (every one under "
       "each DIR,\nsymbolic links there not followed) and says, for each page "
       "size, whether its\nsegments map from the file: the image whole (the "
       "shared path), segment by\nsegment (the rest copied, each with its "
       "reason), or only as a copy. Whether\ngranule itself would load the "
       "file (relocations, fixed addresses) is a line\nof its own. Files in a "
       "DIR that are not ELF executables or libraries are\nskipped and "
       "counted. Past 20 files, or with a DIR, one line per file then the\n"
       "totals, unless --verbose. Default page sizes: 4k,16k,64k,4k/64k "
       "(x86-64,\nApple and Android arm64, ppc64 and arm64 64K kernels, "
       "Windows). Nothing is\nloaded.\n",
       "granule check --page-size=16k,64k /usr/lib/x86_64-linux-gnu",
       {"page_size", "verbose", "loadable"}},
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
