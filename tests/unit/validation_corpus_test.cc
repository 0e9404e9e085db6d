// The broken-definitions corpus: each tests/data/invalid/<case>.yaml is loaded as
// clusters/demo/cluster.yaml and its diagnostics must equal <case>.expected line for line.
// Regenerate the expectations after an intended message change with:
//   NKD_UPDATE_GOLDEN=1 ./build/tests/unit_tests --gtest_filter='ValidationCorpus*'   (then review `git diff`)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <new>

#include "model/limits.h"
#include "model/loader.h"
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

// A valid definition of cluster `demo` with the given pools and spec.ignition sections.
std::string definition_with_pools(const std::string& pools, const std::string& ignition = "") {
  return "apiVersion: nkd.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: demo\nspec:\n"
         "  platform:\n    openstack: {cloud: dc1, image: nestos, flavor: m1.large, network: k8s}\n"
         "  os: {version: '22.03', imageURL: 'registry.example.org/nestos/nestos:22.03'}\n"
         "  kubernetes: {version: v1.29.1, controlPlaneEndpoint: api.demo.example.org}\n"
         "  pools:\n" + pools + ignition;
}

const std::string kThreeControlPlanes = "    - {name: cp, role: control-plane, replicas: 3}\n";

std::string all_diagnostics(const LoadResult& result) {
  std::string text;
  for (const Diagnostic& diagnostic : result.diagnostics) text += format(diagnostic) + "\n";
  return text;
}

TEST(ValidationLimits, TheBaseDefinitionIsValid) {
  const LoadResult result = load_repository(MapTreeReader({
      {"clusters/demo/cluster.yaml", definition_with_pools(kThreeControlPlanes, "  ignition:\n    files: [{path: /etc/motd, source: files/motd}]\n    units: [{name: a.service, source: a.service}]\n")},
      {"clusters/demo/files/motd", std::string("\xFF\x00" "binary", 8)},
      {"clusters/demo/a.service", "[Unit]\nDescription=Gr\xC3\xBC\xC3\x9F\n"}}));
  EXPECT_TRUE(result.ok()) << all_diagnostics(result);
}

// Before the limit, validation expanded two billion nodes and the process died of bad_alloc.
TEST(ValidationLimits, HugeReplicasIsRefusedBeforeAnyNodeIsMade) {
  const LoadResult result = load_repository(MapTreeReader({{"clusters/demo/cluster.yaml",
      definition_with_pools(kThreeControlPlanes + "    - {name: w, role: worker, replicas: 2000000000}\n")}}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(all_diagnostics(result),
            "clusters/demo/cluster.yaml:12:41: error: spec.pools[1].replicas is 2000000000, more "
            "than the 1000 nodes a cluster may have; split the nodes across several clusters\n");
}

TEST(ValidationLimits, TooManyClusterDirectoriesIsOneError) {
  std::map<std::string, std::string> files;
  for (std::uint64_t i = 0; i <= kMaxClustersPerRepository; ++i) {
    files["clusters/c" + std::to_string(i) + "/cluster.yaml"] = "";
  }
  const LoadResult result = load_repository(MapTreeReader(std::move(files)));
  EXPECT_EQ(all_diagnostics(result),
            "clusters/: error: 10001 cluster directories, more than the 10000 one repository may "
            "hold; split the clusters across several repositories\n");
}

TEST(ValidationLimits, ClusterYamlOverOneMebibyteIsNotParsed) {
  std::string text = definition_with_pools(kThreeControlPlanes);
  text += "# " + std::string(kMaxClusterYamlBytes, 'x') + "\n";
  const LoadResult result = load_repository(MapTreeReader({{"clusters/demo/cluster.yaml", text}}));
  EXPECT_EQ(all_diagnostics(result),
            "clusters/demo/cluster.yaml: error: clusters/demo/cluster.yaml is 1048953 bytes, more than "
            "the 1 MiB nkd reads of such a file; a definition is a few KiB: keep large content in "
            "files that spec.ignition references, or split the cluster\n");
}

TEST(ValidationLimits, SourceFileOverOneMebibyteIsRefusedAtItsField) {
  const LoadResult result = load_repository(MapTreeReader({
      {"clusters/demo/cluster.yaml", definition_with_pools(kThreeControlPlanes, "  ignition:\n    files:\n      - {path: /opt/big, source: files/big}\n")},
      {"clusters/demo/files/big", std::string(kMaxSourceFileBytes + 1, 'x')}}));
  EXPECT_EQ(all_diagnostics(result),
            "clusters/demo/cluster.yaml:14:34: error: spec.ignition.files[0].source 'files/big': "
            "clusters/demo/files/big is 1048577 bytes, more than the 1 MiB nkd reads of such a file; "
            "Ignition carries it inline in every node's config: have the nodes fetch large content "
            "at boot instead\n");
}

// 30 nodes each carrying three 1 MiB files would be 90 MiB of extra content in one render.
TEST(ValidationLimits, ExtraContentIsBudgetedAcrossNodes) {
  const LoadResult result = load_repository(MapTreeReader({
      {"clusters/demo/cluster.yaml",
       definition_with_pools(kThreeControlPlanes + "    - {name: w, role: worker, replicas: 27}\n",
                  "  ignition:\n    files:\n      - {path: /opt/a, source: big}\n"
                  "      - {path: /opt/b, source: big}\n      - {path: /opt/c, source: big}\n")},
      {"clusters/demo/big", std::string(kMaxSourceFileBytes, 'x')}}));
  EXPECT_EQ(all_diagnostics(result),
            "clusters/demo/cluster.yaml:17:32: error: spec.ignition.files[2].source 'big': the "
            "extra files and units of this cluster reach 3 MiB here, 90 MiB across its 30 node(s), "
            "more than the 64 MiB a cluster may carry; have the nodes fetch large content at boot, "
            "or use fewer or smaller files\n");
}

TEST(ValidationLimits, UnitThatIsNotUtf8IsRefusedAndBinaryFileIsNot) {
  const LoadResult result = load_repository(MapTreeReader({
      {"clusters/demo/cluster.yaml", definition_with_pools(kThreeControlPlanes, "  ignition:\n    files: [{path: /opt/blob, source: blob}]\n    units: [{name: a.service, source: a.service}]\n")},
      {"clusters/demo/blob", "\x89PNG\r\n\x1A\n"},
      {"clusters/demo/a.service", "[Unit]\nDescription=J\xF6rg\n"}}));
  EXPECT_EQ(all_diagnostics(result),
            "clusters/demo/cluster.yaml:14:39: error: spec.ignition.units[0].source 'a.service': "
            "clusters/demo/a.service is not valid UTF-8 (byte 20); a systemd unit is text: save it "
            "as UTF-8\n");
}

TEST(ValidationLimits, DirectoryNameThatIsNotUtf8IsRefused) {
  const LoadResult result = load_repository(MapTreeReader({
      {"clusters/d\xE9mo/cluster.yaml", definition_with_pools(kThreeControlPlanes)}}));
  EXPECT_EQ(all_diagnostics(result),
            "clusters/d\xEF\xBF\xBDmo/: error: this directory name is not valid UTF-8; rename "
            "the directory to its cluster's metadata.name\n");
  EXPECT_NO_THROW((void)to_json(result.diagnostics).dump());
}

// A reader that fails the way a hostile definition could make any step fail.
class ThrowingTreeReader final : public TreeReader {
 public:
  Result<std::vector<std::string>> list(const std::string&) const override {
    return std::vector<std::string>{"demo/"};
  }
  Result<std::string> read(const std::string&, std::uint64_t) const override {
    throw std::bad_alloc();
  }
  std::string describe() const override { return "throwing tree"; }
};

TEST(ValidationLimits, AnExceptionWhileLoadingBecomesADiagnostic) {
  LoadResult result;
  ASSERT_NO_THROW(result = load_repository(ThrowingTreeReader()));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(all_diagnostics(result).find("clusters/demo/cluster.yaml: error: cannot load this "
                                         "definition (std::bad_alloc)"),
            std::string::npos)
      << all_diagnostics(result);
}

}  // namespace
}  // namespace nkd::model
