// Secret: a string that never prints. Stream and fmt output show "<redacted>"; the value is reached
// only through reveal(), so every place that uses a secret's bytes is greppable.
#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace nkd {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  [[nodiscard]] const std::string& reveal() const { return value_; }
  [[nodiscard]] bool empty() const { return value_.empty(); }
  bool operator==(const Secret&) const = default;

  friend std::ostream& operator<<(std::ostream& out, const Secret&) { return out << "<redacted>"; }

 private:
  std::string value_;
};

}  // namespace nkd
