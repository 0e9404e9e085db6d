// The broken-definitions corpus: each tests/data/invalid/<case>.yaml is loaded as
// clusters/demo/cluster.yaml and its diagnostics must equal <case>.expected line for line.
// Regenerate the expectations after an intended message change with:
//   NKD_UPDATE_GOLDEN=1 ./build/tests/unit_validation_corpus_test   (then review `git diff`)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "render/model/loader.h"
#include "tests/support/test_support.h"

namespace nkd::model {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() { return fs::path(testing::source_dir()) / "tests/data/invalid"; }

std::vector<fs::path> corpus_cases() {
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(corpus_dir())) {
    if (entry.path().extension() == ".yaml") cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

std::string diagnostics_text(const fs::path& case_path) {
  MapTreeReader tree({{"clusters/demo/cluster.yaml", testing::read_file(case_path)},
                      {"clusters/demo/files/motd", "welcome\n"}});
  const LoadResult result = load_repository(tree);
  std::string text;
  for (const Diagnostic& diagnostic : result.diagnostics) text += format(diagnostic) + "\n";
  return text;
}

TEST(ValidationCorpus, HasAtLeastThirtyCases) { EXPECT_GE(corpus_cases().size(), 30u); }

TEST(ValidationCorpus, EveryCaseReportsExactlyItsExpectedDiagnostics) {
  const bool update = std::getenv("NKD_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& case_path : corpus_cases()) {
    SCOPED_TRACE(case_path.filename().string());
    const std::string actual = diagnostics_text(case_path);
    fs::path expected_path = case_path;
    expected_path.replace_extension(".expected");
    if (update) testing::write_file(expected_path, actual);
    EXPECT_FALSE(actual.empty()) << "a broken definition produced no diagnostic";
    EXPECT_EQ(actual, testing::read_file(expected_path));
  }
}

TEST(ValidationCorpus, EveryCaseButTheWarningOneIsRejected) {
  for (const fs::path& case_path : corpus_cases()) {
    SCOPED_TRACE(case_path.filename().string());
    MapTreeReader tree({{"clusters/demo/cluster.yaml", testing::read_file(case_path)},
                        {"clusters/demo/files/motd", "welcome\n"}});
    const LoadResult result = load_repository(tree);
    const bool warning_only = case_path.stem().string().ends_with("-warning");
    EXPECT_EQ(result.ok(), warning_only);
    EXPECT_EQ(result.model.clusters.size(), warning_only ? 1u : 0u);
  }
}

TEST(ValidationCorpus, UnknownKeySuggestsNearestKnownKey) {
  const std::string text =
      diagnostics_text(corpus_dir() / "unknown-key-replicas-hint.yaml");
  EXPECT_NE(text.find("unknown key 'replcas' in spec.pools[0]; did you mean 'replicas'?"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace nkd::model
