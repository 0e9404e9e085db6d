// nkd render: writes every cluster's artifacts (Ignition per node, housekeeper manifests, the
// public CA certificate, the digest) under --out. The PKI comes from --state so renders repeat.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/repository_options.h"
#include "cli/state_path.h"
#include "common/clock.h"
#include "common/private_files.h"
#include "common/secret_file.h"
#include "model/loader.h"
#include "render/render.h"
#include "state/cluster_pki_store.h"
#include "state/sqlite_state_store.h"

namespace nkd::cli {

namespace {

namespace fs = std::filesystem;

// Not the daemon's file: `nkd render`'s own PKI, kept so that its renders repeat.
constexpr const char* kRenderStateFile = "render-state.db";

struct RenderCommandOptions {
  RepositoryOptions repository;
  std::string cluster;
  std::string out;
  std::string state;  // "": default_state_file(kRenderStateFile)
  std::string ignition_base_url = "https://127.0.0.1:9480";
  std::string ignition_ca_file;
};

// Configs hold private keys (the CAs, sa.key, tokens): the output is the owner's only.
Status write_artifacts(const fs::path& out, const render::ClusterRender& rendered) {
  const fs::path directory = out / rendered.cluster;
  std::error_code error;
  fs::remove_all(directory, error);  // a node that left the cluster must not leave a file behind
  for (const auto& artifact : rendered.artifacts) {
    const fs::path path = directory / artifact.path;
    NKD_RETURN_IF_ERROR(create_private_directories(path.parent_path()));
    NKD_RETURN_IF_ERROR(write_private_file(path, artifact.content));
  }
  return write_private_file(directory / "digest", rendered.digest + "\n");
}

int run_render(const RenderCommandOptions& options) {
  auto tree = options.repository.open();
  if (!tree) {
    std::cerr << "nkd render: " << tree.error().message << "\n";
    return 2;
  }
  const model::LoadResult loaded = model::load_repository(**tree);
  for (const auto& diagnostic : loaded.diagnostics) std::cerr << model::format(diagnostic) << "\n";
  if (!loaded.ok()) {
    std::cerr << "nkd render: the definitions are invalid; nothing was written\n";
    return 1;
  }
  if (!options.cluster.empty() && loaded.model.find(options.cluster) == nullptr) {
    std::cerr << "nkd render: no cluster named " << options.cluster << " in " << (*tree)->describe() << "\n";
    return 2;
  }
  std::string ignition_ca_pem;
  if (!options.ignition_ca_file.empty()) {
    auto text = read_text_file(options.ignition_ca_file, "--ignition-ca");
    if (!text) {
      std::cerr << "nkd render: " << text.error().message << "\n";
      return 2;
    }
    ignition_ca_pem = std::move(text).value();
  }
  Result<std::string> state_file =
      options.state.empty() ? default_state_file(kRenderStateFile) : Result<std::string>(options.state);
  if (!state_file) {
    std::cerr << "nkd render: " << state_file.error().message << "\n";
    return 2;
  }
  if (const std::string warning = state_in_work_tree_warning("render", *state_file); !warning.empty()) {
    std::cerr << warning << "\n";
  }
  if (auto made = create_private_directories(std::filesystem::path(*state_file).parent_path()); !made) {
    std::cerr << "nkd render: " << made.error().message << "\n";
    return 1;
  }
  auto store = state::open_sqlite_state_store(*state_file);
  if (!store) {
    std::cerr << "nkd render: " << store.error().message << "\n";
    return 1;
  }
  const bool progress = isatty(STDERR_FILENO) != 0;
  const auto now_unix = real_clock().now_unix_ms() / 1000;
  std::size_t done = 0;
  for (const model::Cluster& cluster : loaded.model.clusters) {
    if (!options.cluster.empty() && cluster.name != options.cluster) continue;
    auto pki = state::load_or_create_pki(**store, cluster, now_unix);
    if (!pki) {
      std::cerr << "nkd render: " << pki.error().message << "\n";
      return 1;
    }
    const auto rendered =
        render::render_cluster(cluster, *pki,
                               render::RenderOptions{.ignition_base_url = options.ignition_base_url,
                                                     .ignition_ca_pem = ignition_ca_pem});
    if (auto status = write_artifacts(options.out, rendered); !status) {
      std::cerr << "nkd render: " << status.error().message << "\n";
      return 1;
    }
    ++done;
    if (progress) {
      std::cerr << "[" << done << "/" << (options.cluster.empty() ? loaded.model.clusters.size() : 1)
                << "] " << cluster.name << ": " << rendered.nodes.size() << " nodes, digest "
                << rendered.digest.substr(0, 12) << "\n";
    }
  }
  std::cerr << "rendered " << done << " cluster(s) from " << (*tree)->describe() << " into "
            << options.out << "\n";
  return 0;
}

}  // namespace

void add_render_command(CLI::App& app) {
  auto options = std::make_shared<RenderCommandOptions>();
  auto* command = app.add_subcommand(
      "render",
      "Render clusters into --out: OUT/<cluster>/nodes/<node>.ign, OUT/<cluster>/housekeeper/*.yaml,\n"
      "OUT/<cluster>/network/*.yaml (the network plugin), OUT/<cluster>/access/*.yaml (nkd's own\n"
      "RBAC), OUT/<cluster>/pki/ca.crt (public\n"
      "certificates only), OUT/<cluster>/upgrade/target.yaml (the versions housekeeper upgrades\n"
      "the nodes to) and OUT/<cluster>/digest.\n"
      "Exit 0 on success, 1 when the definitions are invalid, 2 on usage errors.");
  options->repository.add_to(*command);
  command->add_option("--cluster", options->cluster, "Render only this cluster");
  command->add_option("--out", options->out, "Output directory")->required();
  command->add_option("--state", options->state,
                      "SQLite file that keeps each cluster's PKI, created when missing, so that "
                      "renders repeat byte for byte (never commit it: it holds private keys). "
                      "Default: $XDG_STATE_HOME/nkd/render-state.db, else "
                      "~/.local/state/nkd/render-state.db: never inside the definitions' work tree");
  command->add_option("--ignition-url", options->ignition_base_url,
                      "Base URL nodes fetch configs too large for user_data from")
      ->capture_default_str();
  command->add_option("--ignition-ca", options->ignition_ca_file,
                      "CA certificate (PEM) that pointer configs pin for an https --ignition-url: "
                      "the daemon's <state>/tls/ca.crt, or its http.tls.caFile");
  command->callback([options] { set_exit_code(run_render(*options)); });
}

}  // namespace nkd::cli
