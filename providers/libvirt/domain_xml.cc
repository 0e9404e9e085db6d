#include "providers/libvirt/domain_xml.h"

#include <charconv>
#include <functional>

namespace nkd::providers::libvirt {

namespace {

// One start tag found by for_each_start_tag().
struct StartTag {
  std::string_view local_name;  // without a namespace prefix
  std::map<std::string, std::string> attributes;
  bool self_closing = false;
  std::size_t end = 0;  // just past its '>'
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Parses the start tag whose '<' is at `at`; nullopt for anything else (an end tag, a comment,
// a declaration) or a tag cut short.
std::optional<StartTag> start_tag_at(std::string_view xml, std::size_t at) {
  std::size_t i = at + 1;
  if (i >= xml.size() || xml[i] == '/' || xml[i] == '!' || xml[i] == '?') return std::nullopt;
  const std::size_t name_start = i;
  while (i < xml.size() && !is_space(xml[i]) && xml[i] != '/' && xml[i] != '>') ++i;
  std::string_view name = xml.substr(name_start, i - name_start);
  if (const auto colon = name.find(':'); colon != std::string_view::npos) {
    name = name.substr(colon + 1);
  }
  StartTag tag{.local_name = name};
  while (i < xml.size()) {
    while (i < xml.size() && is_space(xml[i])) ++i;
    if (i >= xml.size()) return std::nullopt;
    if (xml[i] == '>') {
      tag.end = i + 1;
      return tag;
    }
    if (xml[i] == '/') {
      tag.self_closing = true;
      ++i;
      continue;
    }
    const std::size_t key_start = i;
    while (i < xml.size() && xml[i] != '=' && !is_space(xml[i]) && xml[i] != '>') ++i;
    const std::string key(xml.substr(key_start, i - key_start));
    while (i < xml.size() && is_space(xml[i])) ++i;
    if (i >= xml.size() || xml[i] != '=') return std::nullopt;
    ++i;
    while (i < xml.size() && is_space(xml[i])) ++i;
    if (i >= xml.size() || (xml[i] != '\'' && xml[i] != '"')) return std::nullopt;
    const char quote = xml[i++];
    const std::size_t close = xml.find(quote, i);
    if (close == std::string_view::npos) return std::nullopt;
    tag.attributes[key] = unescape_xml(xml.substr(i, close - i));
    i = close + 1;
  }
  return std::nullopt;
}

void for_each_start_tag(std::string_view xml, std::string_view element,
                        const std::function<bool(const StartTag&)>& visit) {
  for (std::size_t at = xml.find('<'); at != std::string_view::npos; at = xml.find('<', at + 1)) {
    const std::optional<StartTag> tag = start_tag_at(xml, at);
    if (!tag || tag->local_name != element) continue;
    if (!visit(*tag)) return;
  }
}

// The text of the first element named `element` (any prefix); "" when absent or empty.
std::string element_text(std::string_view xml, std::string_view element) {
  std::string text;
  for_each_start_tag(xml, element, [&](const StartTag& tag) {
    if (tag.self_closing) return false;
    const std::size_t close = xml.find('<', tag.end);
    if (close != std::string_view::npos) text = unescape_xml(xml.substr(tag.end, close - tag.end));
    return false;
  });
  return text;
}

// Appends <nkd:KEY>VALUE</nkd:KEY> when `value` is set.
void add_metadata_field(std::string& out, const char* key, const std::string& value) {
  if (value.empty()) return;
  out += std::string("    <") + kMetadataPrefix + ":" + key + ">" + escape_xml(value) + "</" +
         kMetadataPrefix + ":" + key + ">\n";
}

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        out += c;
    }
  }
  return out;
}

std::string unescape_xml(std::string_view text) {
  static const std::map<std::string_view, char> kNamed = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t semicolon = text[i] == '&' ? text.find(';', i) : std::string_view::npos;
    if (semicolon == std::string_view::npos) {
      out += text[i];
      continue;
    }
    const std::string_view entity = text.substr(i + 1, semicolon - i - 1);
    if (const auto named = kNamed.find(entity); named != kNamed.end()) {
      out += named->second;
      i = semicolon;
      continue;
    }
    unsigned code = 0;
    const bool hex = entity.starts_with("#x") || entity.starts_with("#X");
    const std::string_view digits = entity.substr(hex ? 2 : 1);
    const auto parsed =
        std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
    if (!entity.starts_with('#') || digits.empty() || parsed.ec != std::errc() ||
        parsed.ptr != digits.data() + digits.size() || code > 0x10FFFF) {
      out += text[i];  // not an entity: kept as written
      continue;
    }
    // UTF-8 of the code point.
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
    i = semicolon;
  }
  return out;
}

std::string metadata_xml(const NodeMetadata& metadata) {
  std::string out = std::string("<") + kMetadataPrefix + ":node xmlns:" + kMetadataPrefix + "='" +
                    kMetadataNamespace + "'>\n";
  add_metadata_field(out, "cluster", metadata.cluster);
  add_metadata_field(out, "name", metadata.node);  // <nkd:node> is the element itself
  add_metadata_field(out, "pool", metadata.pool);
  add_metadata_field(out, "role", metadata.role);
  add_metadata_field(out, "digest", metadata.digest);
  add_metadata_field(out, "boot", metadata.boot);
  add_metadata_field(out, "epoch", metadata.epoch);
  out += std::string("  </") + kMetadataPrefix + ":node>";
  return out;
}

std::optional<NodeMetadata> parse_metadata(std::string_view xml) {
  NodeMetadata metadata{.cluster = element_text(xml, "cluster"),
                        .node = element_text(xml, "name"),
                        .pool = element_text(xml, "pool"),
                        .role = element_text(xml, "role"),
                        .digest = element_text(xml, "digest"),
                        .boot = element_text(xml, "boot"),
                        .epoch = element_text(xml, "epoch")};
  if (metadata.cluster.empty() || metadata.node.empty()) return std::nullopt;
  return metadata;
}

std::string domain_xml(const DomainSpec& spec) {
  const bool x86 = spec.arch == "x86_64";
  std::string out = "<domain type='" + escape_xml(spec.domain_type) + "'>\n";
  out += "  <name>" + escape_xml(spec.name) + "</name>\n";
  out += "  <metadata>\n  " + metadata_xml(spec.metadata) + "\n  </metadata>\n";
  out += "  <memory unit='MiB'>" + std::to_string(spec.memory_mib) + "</memory>\n";
  out += "  <vcpu>" + std::to_string(spec.vcpus) + "</vcpu>\n";
  // Ignition's QEMU platform reads its config from this fw_cfg item (libvirt >= 6.5 writes
  // -fw_cfg name=opt/com.coreos/config,file=...).
  out += "  <sysinfo type='fwcfg'>\n    <entry name='" + std::string(kIgnitionFwCfgName) +
         "' file='" + escape_xml(spec.ignition_path) + "'/>\n  </sysinfo>\n";
  out += "  <os>\n    <type arch='" + escape_xml(spec.arch) + "'" + (x86 ? "" : " machine='virt'") +
         ">hvm</type>\n    <boot dev='hd'/>\n  </os>\n";
  if (x86) out += "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n";
  if (spec.domain_type == "kvm") out += "  <cpu mode='host-passthrough'/>\n";
  out +=
      "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
      "  <on_crash>destroy</on_crash>\n";
  out += "  <devices>\n";
  out += "    <disk type='volume' device='disk'>\n      <driver name='qemu' type='" +
         escape_xml(spec.disk_format) + "'/>\n      <source pool='" + escape_xml(spec.disk_pool) +
         "' volume='" + escape_xml(spec.disk_volume) +
         "'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n";
  if (!spec.network.empty()) {
    out += "    <interface type='network'>\n      <source network='" + escape_xml(spec.network) +
           "'/>\n      <model type='virtio'/>\n    </interface>\n";
  }
  out += "    <serial type='pty'/>\n    <console type='pty'/>\n";
  out +=
      "    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n"
      "    </rng>\n";
  out += "  </devices>\n</domain>\n";
  return out;
}

std::string overlay_volume_xml(const std::string& name, std::uint64_t capacity_bytes,
                               const std::string& backing_path, const std::string& backing_format) {
  return "<volume>\n  <name>" + escape_xml(name) + "</name>\n  <capacity unit='bytes'>" +
         std::to_string(capacity_bytes) +
         "</capacity>\n  <target>\n    <format type='qcow2'/>\n    <permissions>\n"
         "      <mode>0600</mode>\n    </permissions>\n  </target>\n  <backingStore>\n    <path>" +
         escape_xml(backing_path) + "</path>\n    <format type='" + escape_xml(backing_format) +
         "'/>\n  </backingStore>\n</volume>\n";
}

std::string plain_volume_xml(const std::string& name, std::uint64_t capacity_bytes,
                             const std::string& format) {
  return "<volume>\n  <name>" + escape_xml(name) + "</name>\n  <capacity unit='bytes'>" +
         std::to_string(capacity_bytes) + "</capacity>\n  <target>\n    <format type='" +
         escape_xml(format) +
         "'/>\n    <permissions>\n      <mode>0600</mode>\n    </permissions>\n  </target>\n"
         "</volume>\n";
}

std::vector<std::map<std::string, std::string>> start_tags(std::string_view xml,
                                                           std::string_view element) {
  std::vector<std::map<std::string, std::string>> found;
  for_each_start_tag(xml, element, [&](const StartTag& tag) {
    found.push_back(tag.attributes);
    return true;
  });
  return found;
}

std::string first_attribute(std::string_view xml, std::string_view element,
                            std::string_view attribute) {
  std::string value;
  for_each_start_tag(xml, element, [&](const StartTag& tag) {
    if (const auto found = tag.attributes.find(std::string(attribute));
        found != tag.attributes.end()) {
      value = found->second;
    }
    return false;
  });
  return value;
}

}  // namespace nkd::providers::libvirt
