#include "common/semver.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace nkd::semver {

namespace {

using Op = Range::Op;
using Comparator = Range::Comparator;

bool is_wildcard(std::string_view part) { return part == "x" || part == "X" || part == "*"; }

std::optional<long> parse_number(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

bool valid_identifier(const std::string& identifier) {
  if (identifier.empty()) return false;
  return std::all_of(identifier.begin(), identifier.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

// A version with possibly missing or wildcard parts: "1", "1.2", "1.x", "*".
struct Partial {
  std::optional<long> major, minor, patch;
  std::vector<std::string> prerelease;

  [[nodiscard]] Version floor() const {
    return Version{major.value_or(0), minor.value_or(0), patch.value_or(0), prerelease};
  }
};

std::optional<Partial> parse_partial(std::string_view text) {
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V' || text[0] == '=')) text.remove_prefix(1);
  if (const auto plus = text.find('+'); plus != std::string_view::npos) text = text.substr(0, plus);
  Partial partial;
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    partial.prerelease = split(text.substr(dash + 1), '.');
    if (!std::all_of(partial.prerelease.begin(), partial.prerelease.end(), valid_identifier)) {
      return std::nullopt;
    }
    text = text.substr(0, dash);
  }
  if (text.empty()) return partial;
  const auto parts = split(text, '.');
  if (parts.size() > 3) return std::nullopt;
  std::optional<long>* slots[] = {&partial.major, &partial.minor, &partial.patch};
  bool wildcard_seen = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (is_wildcard(parts[i])) {
      wildcard_seen = true;
      continue;
    }
    auto number = parse_number(parts[i]);
    if (!number || wildcard_seen) return std::nullopt;
    *slots[i] = number;
  }
  if (!partial.prerelease.empty() && !partial.patch) return std::nullopt;
  return partial;
}

// The first version above every version `partial` covers: 1.2 -> 1.3.0, 1 -> 2.0.0.
std::optional<Version> ceiling(const Partial& partial) {
  if (!partial.major) return std::nullopt;
  if (!partial.minor) return Version{*partial.major + 1, 0, 0, {}};
  if (!partial.patch) return Version{*partial.major, *partial.minor + 1, 0, {}};
  return std::nullopt;
}

void add_caret(const Partial& p, std::vector<Comparator>& out) {
  out.push_back({Op::kGreaterEqual, p.floor()});
  if (!p.major) return;
  Version upper{*p.major + 1, 0, 0, {}};
  if (*p.major == 0 && p.minor) {
    upper = (*p.minor == 0 && p.patch) ? Version{0, 0, *p.patch + 1, {}} : Version{0, *p.minor + 1, 0, {}};
  }
  out.push_back({Op::kLess, upper});
}

void add_tilde(const Partial& p, std::vector<Comparator>& out) {
  out.push_back({Op::kGreaterEqual, p.floor()});
  if (!p.major) return;
  out.push_back({Op::kLess, p.minor ? Version{*p.major, *p.minor + 1, 0, {}}
                                    : Version{*p.major + 1, 0, 0, {}}});
}

// One operator with a partial version, desugared into plain comparators.
void add_primitive(std::string_view op, const Partial& p, std::vector<Comparator>& out) {
  const auto top = ceiling(p);
  if (op.empty() || op == "=") {
    if (!p.major) return;  // "*": any release
    if (top) {
      out.push_back({Op::kGreaterEqual, p.floor()});
      out.push_back({Op::kLess, *top});
    } else {
      out.push_back({Op::kEqual, p.floor()});
    }
  } else if (op == ">=") {
    out.push_back({Op::kGreaterEqual, p.floor()});
  } else if (op == ">") {
    if (top) out.push_back({Op::kGreaterEqual, *top});
    else if (p.major) out.push_back({Op::kGreater, p.floor()});
    else out.push_back({Op::kLess, Version{0, 0, 0, {"0"}}});  // ">*" matches nothing
  } else if (op == "<") {
    out.push_back({Op::kLess, p.floor()});
  } else if (op == "<=") {
    if (top) out.push_back({Op::kLess, *top});
    else if (p.major) out.push_back({Op::kLessEqual, p.floor()});
  }
}

Result<std::vector<Comparator>> parse_set(const std::string& set_text, const std::string& whole) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : set_text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) tokens.push_back(current);
  auto bad = [&](const std::string& part) {
    return Error{ErrorCode::kParse, "semver range '" + whole + "': cannot read '" + part +
                                        "'; write ranges like >=1.2.0 <2.0.0, ^1.2 or ~1.2.3"};
  };
  std::vector<Comparator> out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i + 2 < tokens.size() && tokens[i + 1] == "-") {  // hyphen range
      auto low = parse_partial(tokens[i]);
      auto high = parse_partial(tokens[i + 2]);
      if (!low || !high) return bad(tokens[i] + " - " + tokens[i + 2]);
      add_primitive(">=", *low, out);
      add_primitive("<=", *high, out);
      i += 2;
      continue;
    }
    std::string token = tokens[i];
    const std::size_t op_length = token.find_first_not_of("<>=^~");
    std::string op = token.substr(0, std::min(op_length, token.size()));
    std::string rest = op_length == std::string::npos ? "" : token.substr(op_length);
    if (rest.empty() && i + 1 < tokens.size()) rest = tokens[++i];  // ">= 1.2.0"
    auto partial = parse_partial(rest);
    if (!partial) return bad(token + (rest != token.substr(op.size()) ? " " + rest : ""));
    if (op == "^") add_caret(*partial, out);
    else if (op == "~" || op == "~>") add_tilde(*partial, out);
    else if (op.empty() || op == "=" || op == ">" || op == ">=" || op == "<" || op == "<=")
      add_primitive(op, *partial, out);
    else return bad(token);
  }
  return out;
}

bool satisfies(const Comparator& comparator, const Version& version) {
  const int order = compare(version, comparator.version);
  switch (comparator.op) {
    case Op::kLess: return order < 0;
    case Op::kLessEqual: return order <= 0;
    case Op::kGreater: return order > 0;
    case Op::kGreaterEqual: return order >= 0;
    case Op::kEqual: return order == 0;
  }
  return false;
}

bool set_matches(const std::vector<Comparator>& set, const Version& version) {
  for (const auto& comparator : set) {
    if (!satisfies(comparator, version)) return false;
  }
  if (version.prerelease.empty()) return true;
  // A pre-release counts only when the set names a pre-release of the same release triple.
  return std::any_of(set.begin(), set.end(), [&](const Comparator& comparator) {
    const Version& bound = comparator.version;
    return !bound.prerelease.empty() && bound.major == version.major &&
           bound.minor == version.minor && bound.patch == version.patch;
  });
}

int compare_identifiers(const std::string& left, const std::string& right) {
  const auto left_number = parse_number(left);
  const auto right_number = parse_number(right);
  if (left_number && right_number) return *left_number < *right_number ? -1 : (*left_number > *right_number);
  if (left_number) return -1;  // numeric identifiers sort before alphanumeric ones
  if (right_number) return 1;
  return left.compare(right) < 0 ? -1 : (left == right ? 0 : 1);
}

}  // namespace

std::optional<Version> Version::parse(std::string_view text) {
  auto partial = parse_partial(text);
  if (!partial || !partial->major || !partial->minor || !partial->patch) return std::nullopt;
  if (!text.empty() && text[0] == '=') return std::nullopt;
  return partial->floor();
}

std::string Version::to_string() const {
  std::string text = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (std::size_t i = 0; i < prerelease.size(); ++i) text += (i == 0 ? "-" : ".") + prerelease[i];
  return text;
}

int compare(const Version& left, const Version& right) {
  if (left.major != right.major) return left.major < right.major ? -1 : 1;
  if (left.minor != right.minor) return left.minor < right.minor ? -1 : 1;
  if (left.patch != right.patch) return left.patch < right.patch ? -1 : 1;
  if (left.prerelease.empty() || right.prerelease.empty()) {
    if (left.prerelease.empty() == right.prerelease.empty()) return 0;
    return left.prerelease.empty() ? 1 : -1;  // a release outranks its pre-releases
  }
  const std::size_t common = std::min(left.prerelease.size(), right.prerelease.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (int order = compare_identifiers(left.prerelease[i], right.prerelease[i]); order != 0) return order;
  }
  if (left.prerelease.size() == right.prerelease.size()) return 0;
  return left.prerelease.size() < right.prerelease.size() ? -1 : 1;
}

Result<Range> Range::parse(std::string_view text) {
  Range range;
  range.text_ = std::string(text);
  std::string rest(text);
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = rest.find("||", start);
    const std::string set_text =
        rest.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    NKD_ASSIGN_OR_RETURN(auto set, parse_set(set_text, range.text_));
    range.alternatives_.push_back(std::move(set));
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  return range;
}

bool Range::matches(const Version& version) const {
  return std::any_of(alternatives_.begin(), alternatives_.end(),
                     [&](const auto& set) { return set_matches(set, version); });
}

std::optional<std::string> highest_match(const std::vector<std::string>& names, const Range& range) {
  std::optional<std::string> best_name;
  std::optional<Version> best;
  for (const auto& name : names) {
    auto version = Version::parse(name);
    if (!version || !range.matches(*version)) continue;
    if (!best || *best < *version) {
      best = version;
      best_name = name;
    }
  }
  return best_name;
}

}  // namespace nkd::semver
