// `nkd plan` for a libvirt cluster: the planner's decisions as on OpenStack (a first-boot change
// replaces workers, refuses the control plane), each node with the two volumes it comes and goes
// with, in every output form.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plan/review/plan.h"
#include "plan/review/plan_format.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

using plan::NodeAction;
using Side = testing::RenderedCluster;

model::Cluster libvirt_prod_east() {
  model::Cluster cluster = testing::openstack_cluster();
  cluster.platform = model::LibvirtPlatform{
      .connection = "lab", .storage_pool = "default", .base_volume = "nestos.qcow2"};
  return cluster;
}

plan::ClusterPlan libvirt_plan_between(const Side& base, const Side& head) {
  const plan::SecretRedactor redactor({});
  return plan::plan_cluster({.name = head.cluster.name,
                             .base = &base.cluster,
                             .base_render = &base.render,
                             .head = &head.cluster,
                             .head_render = &head.render,
                             .redactor = &redactor});
}

TEST(PlanLibvirt, NodesComeAndGoWithTheirDiskAndIgnitionVolumesInEveryForm) {
  model::Cluster bigger = libvirt_prod_east();
  testing::pool_named(bigger, "workers").replicas = 3;
  const auto up = libvirt_plan_between(Side(libvirt_prod_east()), Side(bigger));
  ASSERT_EQ(up.nodes.size(), 1u);
  EXPECT_EQ(up.nodes[0].action, NodeAction::kCreate);
  EXPECT_EQ(up.nodes[0].port, "");
  EXPECT_EQ(up.nodes[0].volumes,
            (std::vector<std::string>{"prod-east-workers-2-disk", "prod-east-workers-2-ignition"}));
  const auto down = libvirt_plan_between(Side(bigger), Side(libvirt_prod_east()));
  ASSERT_EQ(down.nodes.size(), 1u);
  EXPECT_EQ(down.nodes[0].action, NodeAction::kDelete);
  EXPECT_EQ(down.nodes[0].volumes.size(), 2u);

  plan::Plan plan{.base_revision = std::string(40, 'a'), .head_revision = std::string(40, 'b')};
  plan.clusters.push_back(up);
  const std::string text = plan::format_text(plan);
  EXPECT_NE(text.find("  create prod-east-workers-2 (pool workers, worker) with volumes "
                      "prod-east-workers-2-disk, prod-east-workers-2-ignition\n"),
            std::string::npos)
      << text;
  const std::string markdown = plan::format_markdown(plan);
  EXPECT_NE(markdown.find("- **create** `prod-east-workers-2` (pool workers, worker) with volumes "
                          "`prod-east-workers-2-disk`, `prod-east-workers-2-ignition`"),
            std::string::npos)
      << markdown;
  const auto json = plan::to_json(plan)["clusters"][0]["nodes"][0];
  EXPECT_EQ(json["volumes"],
            nlohmann::json::array({"prod-east-workers-2-disk", "prod-east-workers-2-ignition"}));
}

TEST(PlanLibvirt, AFirstBootChangeReplacesWorkersAndRefusesTheControlPlane) {
  model::Cluster changed = libvirt_prod_east();
  changed.users.push_back({.name = "ops", .ssh_authorized_keys = {"ssh-ed25519 AAAAnew ops"}});
  const auto plan = libvirt_plan_between(Side(libvirt_prod_east()), Side(changed));
  int replaced = 0;
  int refused = 0;
  for (const auto& step : plan.nodes) {
    if (step.action == NodeAction::kReplace) {
      ++replaced;
      EXPECT_EQ(step.volumes.size(), 2u) << step.name;
    }
    if (step.action == NodeAction::kRefuse) {
      ++refused;
      EXPECT_TRUE(step.volumes.empty()) << step.name;
    }
  }
  EXPECT_EQ(replaced, 3);  // workers-0, workers-1, gpu-0
  EXPECT_EQ(refused, 3);
}

}  // namespace
}  // namespace nkd
