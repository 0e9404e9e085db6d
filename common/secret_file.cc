#include "common/secret_file.h"

#include <fstream>
#include <sstream>

namespace nkd {

Result<std::string> read_text_file(const std::string& path, const std::string& what) {
  std::ifstream input(path, std::ios::binary);
  if (!input) {
    return Error{ErrorCode::kNotFound,
                 "cannot read " + what + " " + path + "; check the path and its permissions"};
  }
  std::stringstream text;
  text << input.rdbuf();
  return text.str();
}

Result<Secret> read_secret_file(const std::string& path, const std::string& what) {
  NKD_ASSIGN_OR_RETURN(auto text, read_text_file(path, what));
  std::string value = std::move(text);
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return Secret(std::move(value));
}

}  // namespace nkd
