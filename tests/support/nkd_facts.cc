#include "tests/support/nkd_facts.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nkd::testing {
namespace {

// "|spec|template|containers|0" -> "/spec/template/containers/0"; keys may hold '/' or '~'.
nlohmann::json::json_pointer pointer_of(const std::string& path) {
  std::string pointer;
  for (char c : path) {
    if (c == '|') pointer += '/';
    else if (c == '~') pointer += "~0";
    else if (c == '/') pointer += "~1";
    else pointer += c;
  }
  return nlohmann::json::json_pointer(pointer);
}

}  // namespace

nlohmann::json nkd_fact_object(const std::string& name) {
  const std::string file = std::string(NKD_SOURCE_DIR) + "/tests/data/housekeeper/nkd.facts";
  std::ifstream facts(file);
  if (!facts) throw std::runtime_error(file + " is missing");
  nlohmann::json object;
  bool found = false;
  for (std::string line; std::getline(facts, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t first = line.find(' ');
    const std::size_t second = line.find(' ', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      throw std::runtime_error(file + ": malformed line: " + line);
    }
    if (line.compare(0, first, name) != 0 || first != name.size()) continue;
    object[pointer_of(line.substr(first + 1, second - first - 1))] =
        nlohmann::json::parse(line.substr(second + 1));
    found = true;
  }
  if (!found) throw std::runtime_error(file + " records no object " + name);
  return object;
}

}  // namespace nkd::testing
