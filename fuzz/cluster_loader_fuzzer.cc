// Fuzz target: the model's loading and validation of a cluster definition (model/loader.h), the
// first thing nkd does with a repository it does not control.
//
// Input: the whole input is clusters/demo/cluster.yaml of an in-memory tree that also holds the
// files the example definitions reference (files/motd, files/node-exporter.service), so a
// definition can get past its file references into the deeper checks.
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string definition(reinterpret_cast<const char*>(data), size);
  const nkd::model::MapTreeReader tree({
      {"clusters/demo/cluster.yaml", definition},
      {"clusters/demo/files/motd", "welcome\n"},
      {"clusters/demo/files/node-exporter.service", "[Service]\nExecStart=/bin/true\n"},
  });
  const nkd::model::LoadResult result = nkd::model::load_repository(tree);
  // Every diagnostic is formatted, as `nkd validate` prints them.
  for (const auto& diagnostic : result.diagnostics) (void)nkd::model::format(diagnostic);
  return 0;
}
