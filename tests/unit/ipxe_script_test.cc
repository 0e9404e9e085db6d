// Boot scripts: the iPXE script is parsed the way iPXE reads it (one command per line, words
// split on spaces) and its kernel arguments are checked one by one, for a machine that installs
// to disk and one that runs from memory.
#include "render/boot/ipxe_script.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

namespace nkd::render {
namespace {

const std::string kConfigUrl = "https://nkd.example.org:9480/ignition/lab/lab-cp-0?token=abc123";

struct ParsedScript {
  std::vector<std::string> lines;  // commands, comments dropped
  std::string kernel;
  std::map<std::string, std::string> arguments;  // key=value arguments of the kernel line
  std::set<std::string> flags;                   // arguments without '='
  std::vector<std::string> initrd;               // words after "initrd"
};

ParsedScript parse(const std::string& script) {
  ParsedScript parsed;
  std::istringstream input(script);
  std::string line;
  std::getline(input, line);
  EXPECT_EQ(line, "#!ipxe") << "iPXE needs its magic on the first line";
  while (std::getline(input, line)) {
    if (line.empty() || line.starts_with("#")) continue;
    parsed.lines.push_back(line);
    std::istringstream words(line);
    std::string command;
    words >> command;
    std::string word;
    if (command == "kernel") {
      words >> parsed.kernel;
      while (words >> word) {
        const auto equals = word.find('=');
        if (equals == std::string::npos) {
          parsed.flags.insert(word);
        } else {
          EXPECT_TRUE(
              parsed.arguments.emplace(word.substr(0, equals), word.substr(equals + 1)).second)
              << "argument given twice: " << word;
        }
      }
    } else if (command == "initrd") {
      while (words >> word) parsed.initrd.push_back(word);
    }
  }
  return parsed;
}

model::BareMetalBoot boot(const std::string& install_device) {
  return model::BareMetalBoot{.kernel_url = "https://mirror.example.org/nestos-live-kernel-x86_64",
                              .initrd_url = "https://mirror.example.org/nestos-live-initramfs.img",
                              .rootfs_url = "https://mirror.example.org/nestos-live-rootfs.img",
                              .install_device = install_device,
                              .kernel_arguments = {"console=ttyS0,115200", "rd.neednet=1"}};
}

TEST(IpxeScript, InstallsToTheDiskWithTheNodesConfigForItsFirstBoot) {
  const ParsedScript script = parse(ipxe_script(boot("/dev/sda"), "lab", "lab-cp-0", kConfigUrl));
  EXPECT_EQ(script.lines.size(), 3u);
  EXPECT_EQ(script.lines.back(), "boot");
  EXPECT_EQ(script.kernel, "https://mirror.example.org/nestos-live-kernel-x86_64");
  EXPECT_EQ(script.initrd,
            (std::vector<std::string>{"--name", "main",
                                      "https://mirror.example.org/nestos-live-initramfs.img"}));
  EXPECT_EQ(script.arguments.at("initrd"), "main") << "the kernel finds the initrd iPXE named";
  EXPECT_EQ(script.arguments.at("coreos.live.rootfs_url"),
            "https://mirror.example.org/nestos-live-rootfs.img");
  EXPECT_EQ(script.arguments.at("coreos.inst.install_dev"), "/dev/sda");
  EXPECT_EQ(script.arguments.at("coreos.inst.ignition_url"), kConfigUrl);
  EXPECT_EQ(script.arguments.at("ignition.platform.id"), "metal");
  EXPECT_TRUE(script.flags.contains("ignition.firstboot"));
  EXPECT_FALSE(script.arguments.contains("ignition.config.url"))
      << "the live system must not run the node's config too (kubeadm would run twice)";
  EXPECT_EQ(script.arguments.at("console"), "ttyS0,115200");
  EXPECT_EQ(script.arguments.at("rd.neednet"), "1");
}

TEST(IpxeScript, RunsFromMemoryWithTheConfigAppliedByTheLiveSystem) {
  const ParsedScript script = parse(ipxe_script(boot(""), "lab", "lab-cp-0", kConfigUrl));
  EXPECT_EQ(script.arguments.at("ignition.config.url"), kConfigUrl);
  EXPECT_EQ(script.arguments.at("ignition.platform.id"), "metal");
  EXPECT_TRUE(script.flags.contains("ignition.firstboot"));
  EXPECT_TRUE(script.arguments.contains("coreos.live.rootfs_url"));
  EXPECT_FALSE(script.arguments.contains("coreos.inst.install_dev"));
  EXPECT_FALSE(script.arguments.contains("coreos.inst.ignition_url"));
}

}  // namespace
}  // namespace nkd::render
