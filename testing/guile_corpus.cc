// SPDX-License-Identifier: Apache-2.0
#include "testing/guile_corpus.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace granule::testing {
namespace {

GuileCorpus FindCorpus() {
  GuileFiles found = FindGuileFiles();
  GuileCorpus corpus;
  corpus.directories = std::move(found.directories);
  corpus.files = std::move(found.files);
  return corpus;
}

// In batches: a few processes, and command lines of bounded length.
void RunReadelfOnCorpus(GuileCorpus& corpus) {
  constexpr size_t kBatch = 100;
  for (size_t i = 0; i < corpus.files.size(); i += kBatch) {
    std::vector<std::string> batch;
    for (size_t j = i; j < std::min(i + kBatch, corpus.files.size()); ++j) {
      batch.push_back(corpus.files[j].path);
    }
    absl::StatusOr<std::map<std::string, ReadelfReport>> reports =
        RunReadelf(batch);
    if (!reports.ok()) {
      corpus.readelf_status = reports.status();
      return;
    }
    corpus.readelf.merge(*reports);
  }
}

}  // namespace

std::string GuileCorpus::MissingMessage(size_t minimum) const {
  return absl::StrFormat(
      "found %d Guile .go files, need at least %d. Searched "
      "/usr/lib/*/guile/{2.2,3.0}/ccache recursively; of those, these exist: "
      "[%s]. `./bazelw test` installs guile-2.2-libs and guile-3.0-libs.",
      files.size(), minimum, absl::StrJoin(directories, ", "));
}

const GuileCorpus& TheGuileCorpus() {
  static const GuileCorpus* const corpus = [] {
    auto* found = new GuileCorpus(FindCorpus());
    RunReadelfOnCorpus(*found);
    return found;
  }();
  return *corpus;
}

}  // namespace granule::testing
