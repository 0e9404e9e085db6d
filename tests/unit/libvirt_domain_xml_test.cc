// The libvirt provider's pure parts: XML escaping and reading, the domain and volume XML it
// hands libvirt, the nkd metadata round trip, libvirt's error codes as nkd's, and how a domain
// is shown to the planner.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>

#include "providers/libvirt/domain_xml.h"
#include "providers/libvirt/libvirt_handles.h"
#include "providers/libvirt/node_machines.h"

namespace nkd::providers::libvirt {
namespace {

TEST(LibvirtXml, EscapesEverySpecialCharacterAndDropsControlCharacters) {
  EXPECT_EQ(escape_xml("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  EXPECT_EQ(escape_xml(std::string("x\x01y\tz\n", 6)), "xy\tz\n");
  EXPECT_EQ(escape_xml("plain-name_0"), "plain-name_0");
}

TEST(LibvirtXml, UnescapesNamedAndNumericReferences) {
  EXPECT_EQ(unescape_xml("a&amp;b&lt;c&gt;d&quot;e&apos;f"), "a&b<c>d\"e'f");
  EXPECT_EQ(unescape_xml("&#65;&#x42;&#xe9;"), "AB\xc3\xa9");
  // Not an entity: kept as written.
  EXPECT_EQ(unescape_xml("a & b; &bogus; &#xZZ;"), "a & b; &bogus; &#xZZ;");
}

TEST(LibvirtXml, MetadataSurvivesHostileValuesThroughLibvirtsPrefix) {
  const NodeMetadata written{.cluster = "c</x:cluster><x:cluster>evil",
                             .node = "c-workers-0",
                             .pool = "workers",
                             .role = "worker",
                             .digest = "abc&def",
                             .boot = "",
                             .epoch = "2"};
  std::string xml = metadata_xml(written);
  // libvirt hands the element back with its own prefix for the namespace.
  for (std::size_t at = xml.find("nkd:"); at != std::string::npos; at = xml.find("nkd:", at)) {
    xml.replace(at, 4, "n0:");
  }
  const std::optional<NodeMetadata> read = parse_metadata(xml);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->cluster, written.cluster);
  EXPECT_EQ(read->node, "c-workers-0");
  EXPECT_EQ(read->pool, "workers");
  EXPECT_EQ(read->role, "worker");
  EXPECT_EQ(read->digest, "abc&def");
  EXPECT_EQ(read->boot, "");
  EXPECT_EQ(read->epoch, "2");
}

TEST(LibvirtXml, MetadataWithoutClusterOrNameIsNotNkds) {
  EXPECT_FALSE(parse_metadata("<x:node xmlns:x='https://nkd.dev/xmlns/node/1'><x:cluster>c"
                              "</x:cluster></x:node>")
                   .has_value());
  EXPECT_FALSE(parse_metadata("<other/>").has_value());
}

TEST(LibvirtXml, DomainXmlHandsIgnitionThroughFwCfgAndBootsTheNodeDisk) {
  DomainSpec spec{.name = "c-cp-0",
                  .domain_type = "qemu",
                  .vcpus = 3,
                  .memory_mib = 2048,
                  .disk_pool = "pool'1",
                  .disk_volume = "c-cp-0-disk",
                  .ignition_path = "/var/lib/pool/it's <here>",
                  .network = "default",
                  .metadata = {.cluster = "c", .node = "c-cp-0"}};
  const std::string xml = domain_xml(spec);
  const auto entries = start_tags(xml, "entry");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].at("name"), kIgnitionFwCfgName);
  EXPECT_EQ(entries[0].at("file"), "/var/lib/pool/it's <here>");
  EXPECT_EQ(first_attribute(xml, "sysinfo", "type"), "fwcfg");
  EXPECT_EQ(first_attribute(xml, "domain", "type"), "qemu");
  const auto sources = start_tags(xml, "source");
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0].at("pool"), "pool'1");
  EXPECT_EQ(sources[0].at("volume"), "c-cp-0-disk");
  EXPECT_EQ(sources[1].at("network"), "default");
  EXPECT_NE(xml.find("<vcpu>3</vcpu>"), std::string::npos);
  EXPECT_NE(xml.find("<memory unit='MiB'>2048</memory>"), std::string::npos);
  EXPECT_EQ(xml.find("host-passthrough"), std::string::npos);  // no KVM, no host CPU
  EXPECT_EQ(parse_metadata(xml)->node, "c-cp-0");

  spec.network.clear();
  spec.domain_type = "kvm";
  const std::string without_network = domain_xml(spec);
  EXPECT_EQ(start_tags(without_network, "interface").size(), 0u);
  EXPECT_NE(without_network.find("host-passthrough"), std::string::npos);
}

TEST(LibvirtXml, OverlayVolumeReadsThroughToTheBase) {
  const std::string xml = overlay_volume_xml("n-disk", 1ULL << 30, "/pool/base.qcow2", "qcow2");
  EXPECT_EQ(first_attribute(xml, "format", "type"), "qcow2");
  EXPECT_NE(xml.find("<backingStore>"), std::string::npos);
  EXPECT_NE(xml.find("<path>/pool/base.qcow2</path>"), std::string::npos);
  EXPECT_NE(xml.find(">1073741824</capacity>"), std::string::npos);
}

TEST(LibvirtXml, StartTagsReadQuotesAndSkipEndTagsAndComments) {
  const auto tags =
      start_tags("<!-- <a x='no'/> --><a x=\"1 > 0\" y='&lt;'/></a><p:a x = '2'><b/></p:a>", "a");
  ASSERT_EQ(tags.size(), 3u);  // the comment's tag is read too: documents here have none
  EXPECT_EQ(tags[1].at("x"), "1 > 0");
  EXPECT_EQ(tags[1].at("y"), "<");
  EXPECT_EQ(tags[2].at("x"), "2");
  EXPECT_EQ(first_attribute("<pool type='dir'><name>p</name></pool>", "pool", "type"), "dir");
  EXPECT_EQ(first_attribute("<pool><a/></pool>", "pool", "type"), "");
}

TEST(LibvirtErrors, CodesSayWhatTheCallerShouldDo) {
  EXPECT_EQ(error_code_for(VIR_ERR_NO_DOMAIN), ErrorCode::kNotFound);
  EXPECT_EQ(error_code_for(VIR_ERR_NO_STORAGE_VOL), ErrorCode::kNotFound);
  EXPECT_EQ(error_code_for(VIR_ERR_NO_STORAGE_POOL), ErrorCode::kNotFound);
  EXPECT_EQ(error_code_for(VIR_ERR_OPERATION_TIMEOUT), ErrorCode::kTimeout);
  EXPECT_EQ(error_code_for(VIR_ERR_SYSTEM_ERROR), ErrorCode::kUnavailable);
  EXPECT_EQ(error_code_for(VIR_ERR_RPC), ErrorCode::kUnavailable);
  EXPECT_EQ(error_code_for(VIR_ERR_AUTH_FAILED), ErrorCode::kUnauthenticated);
  EXPECT_EQ(error_code_for(VIR_ERR_ACCESS_DENIED), ErrorCode::kPermissionDenied);
  EXPECT_EQ(error_code_for(VIR_ERR_XML_ERROR), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_for(VIR_ERR_DOM_EXIST), ErrorCode::kConflict);
  EXPECT_EQ(default_retry(error_code_for(VIR_ERR_OPERATION_TIMEOUT)).kind, RetryKind::kTransient);
  EXPECT_EQ(default_retry(error_code_for(VIR_ERR_AUTH_FAILED)).kind, RetryKind::kStalled);
}

TEST(LibvirtNodes, AFailedDomainIsRecreatedAndAnEarlierEpochKept) {
  Domain domain{.name = "c-w-0",
                .uuid = "u",
                .metadata = NodeMetadata{.cluster = "c",
                                         .node = "c-w-0",
                                         .pool = "w",
                                         .role = "worker",
                                         .digest = "d",
                                         .epoch = "1"},
                .state = DomainState::kFailed};
  const plan::ObservedMachine machine = observed_machine(domain);
  EXPECT_TRUE(machine.failed);
  EXPECT_EQ(machine.role, model::PoolRole::kWorker);
  EXPECT_TRUE(machine.recorded->from_earlier_render_epoch);
  EXPECT_EQ(observed_node(domain).state, state::NodeState::kError);
  domain.state = DomainState::kRunning;
  domain.metadata->epoch = kRenderEpoch;
  EXPECT_FALSE(observed_machine(domain).recorded->from_earlier_render_epoch);
  EXPECT_EQ(observed_node(domain).state, state::NodeState::kProvisioned);
}

}  // namespace
}  // namespace nkd::providers::libvirt
