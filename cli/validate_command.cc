// nkd validate: load and check every cluster definition; diagnostics on stderr (or JSON on stdout).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/repository_options.h"
#include "render/model/loader.h"

namespace nkd::cli {

namespace {

struct ValidateOptions {
  RepositoryOptions repository;
  std::string format = "text";
};

int run_validate(const ValidateOptions& options) {
  auto tree = options.repository.open();
  if (!tree) {
    std::cerr << "nkd validate: " << tree.error().message << "\n";
    return 2;
  }
  const model::LoadResult result = model::load_repository(**tree);
  if (options.format == "json") {
    std::cout << model::to_json(result.diagnostics).dump(2) << "\n";
  } else {
    for (const auto& diagnostic : result.diagnostics) std::cerr << model::format(diagnostic) << "\n";
  }
  std::size_t errors = 0;
  for (const auto& diagnostic : result.diagnostics) {
    if (diagnostic.severity == model::Severity::kError) ++errors;
  }
  if (options.format == "text") {
    std::cerr << (*tree)->describe() << ": " << result.model.clusters.size() << " valid cluster(s), "
              << errors << " error(s), " << result.diagnostics.size() - errors << " warning(s)\n";
  }
  return result.ok() ? 0 : 1;
}

}  // namespace

void add_validate_command(CLI::App& app) {
  auto options = std::make_shared<ValidateOptions>();
  auto* command = app.add_subcommand(
      "validate",
      "Check every clusters/<name>/cluster.yaml; print problems as path:line:col: error: message.\n"
      "Exit 0 when valid (warnings allowed), 1 when any definition is invalid, 2 on usage errors.");
  options->repository.add_to(*command);
  command->add_option("--format", options->format, "Output: text (stderr) or json (stdout, an array of {path,line,column,severity,message})")
      ->check(CLI::IsMember({"text", "json"}));
  command->callback([options] { set_exit_code(run_validate(*options)); });
}

}  // namespace nkd::cli
