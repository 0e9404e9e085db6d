// The XML nkd hands libvirt (domains, volumes) and the little it reads back from libvirt's own
// descriptions (a pool's type, a volume's format, a domain's disks, its nkd metadata). Pure
// functions over strings, so they are tested without libvirt.
//
// There is no XML library among nkd's dependencies: every value that goes into the XML passes
// through escape_xml(), which escapes all five special characters and refuses nothing (control
// characters other than tab and newline cannot occur in an XML 1.0 document, and are dropped).
// The readers understand the subset libvirt writes (start tags with quoted attributes, text
// elements); they are not a general parser and read only documents libvirt or nkd produced.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nkd::providers::libvirt {

// The namespace of nkd's <metadata> element in a domain (virDomainGetMetadata's key).
inline constexpr const char* kMetadataNamespace = "https://nkd.dev/xmlns/node/1";
inline constexpr const char* kMetadataPrefix = "nkd";
// Where Fedora CoreOS and NestOS read Ignition on QEMU: this fw_cfg item.
inline constexpr const char* kIgnitionFwCfgName = "opt/com.coreos/config";

// `text` safe inside an element or an attribute value (quoted with ' or ").
[[nodiscard]] std::string escape_xml(std::string_view text);
// The reverse, for the five named entities and numeric character references.
[[nodiscard]] std::string unescape_xml(std::string_view text);

// What a domain records about its node (DESIGN.md §9), the same facts an OpenStack server
// carries in its metadata.
struct NodeMetadata {
  std::string cluster;
  std::string node;
  std::string pool;
  std::string role;
  std::string digest;  // the full config's SHA-256
  std::string boot;    // render::NodeRender::boot_digest; "" when the render had none
  std::string epoch;   // the render epoch it was made by; "" for none
};

// The <nkd:node> element for virDomainSetMetadata and the domain's <metadata>.
[[nodiscard]] std::string metadata_xml(const NodeMetadata& metadata);
// Reads what metadata_xml() wrote (as libvirt returns it, with any namespace prefix);
// nullopt when it is not nkd's (no cluster or node).
[[nodiscard]] std::optional<NodeMetadata> parse_metadata(std::string_view xml);

struct DomainSpec {
  std::string name;
  std::string domain_type = "kvm";  // kvm | qemu
  std::string arch = "x86_64";      // libvirt's: x86_64 | aarch64
  int vcpus = 2;
  int memory_mib = 4096;
  std::string disk_pool;
  std::string disk_volume;
  std::string disk_format = "qcow2";
  std::string ignition_path;  // the file QEMU hands the guest as opt/com.coreos/config
  std::string network;        // empty: no interface
  NodeMetadata metadata;
};

[[nodiscard]] std::string domain_xml(const DomainSpec& spec);

// A qcow2 volume that reads through to `backing_path` (copy-on-write: the base is never written).
[[nodiscard]] std::string overlay_volume_xml(const std::string& name, std::uint64_t capacity_bytes,
                                             const std::string& backing_path,
                                             const std::string& backing_format);
// A volume for virStorageVolCreateXMLFrom (a full copy) or an empty one (`format` raw, qcow2).
[[nodiscard]] std::string plain_volume_xml(const std::string& name, std::uint64_t capacity_bytes,
                                           const std::string& format);

// The attributes of every start tag named `element` (no prefix) in `xml`, in document order,
// values unescaped.
[[nodiscard]] std::vector<std::map<std::string, std::string>> start_tags(std::string_view xml,
                                                                         std::string_view element);
// The `attribute` of the first `element`; "" when there is none.
[[nodiscard]] std::string first_attribute(std::string_view xml, std::string_view element,
                                          std::string_view attribute);

}  // namespace nkd::providers::libvirt
