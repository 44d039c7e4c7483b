// A checker of the Prometheus text exposition format for the metrics tests: every sample
// belongs to a family declared by a preceding # TYPE line, names and label sets are well
// formed, values parse, and each histogram's buckets are cumulative with +Inf == _count.
#pragma once

#include <map>
#include <regex>
#include <sstream>
#include <string>

namespace strait::control::testing {

// "" if `text` is valid, else the first problem with its line.
inline std::string prometheusTextProblem(const std::string& text) {
  static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$)");
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? ([-+]?[0-9.eE+-]+|[+-]Inf|NaN)$)");
  static const std::regex kLe(R"(le="([^"]*)\")");
  std::map<std::string, std::string> types;
  std::map<std::string, double> last_bucket;  // histogram -> last cumulative bucket value
  std::map<std::string, double> inf_bucket;
  std::istringstream in(text);
  std::string line;
  if (!text.empty() && text.back() != '\n') return "no final newline";
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kType)) {
      if (types.count(m[1])) return "family declared twice: " + line;
      types[m[1]] = m[2];
      continue;
    }
    if (std::regex_match(line, kHelp)) continue;
    if (!std::regex_match(line, m, kSample)) return "malformed line: " + line;
    std::string name = m[1];
    double value = std::stod(m[7].str() == "+Inf" ? "inf" : m[7].str());
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
          types.count(name.substr(0, name.size() - s.size())) &&
          types[name.substr(0, name.size() - s.size())] == "histogram") {
        family = name.substr(0, name.size() - s.size());
      }
    }
    if (!types.count(family)) return "sample of an undeclared family: " + line;
    if (types[family] == "histogram" && family != name) {
      std::smatch le;
      if (name == family + "_bucket") {
        if (!std::regex_search(line, le, kLe)) return "bucket without le: " + line;
        if (last_bucket.count(family) && value < last_bucket[family]) return "buckets not cumulative: " + line;
        last_bucket[family] = value;
        if (le[1] == "+Inf") inf_bucket[family] = value;
      } else if (name == family + "_count") {
        if (!inf_bucket.count(family) || inf_bucket[family] != value) return "+Inf bucket != count: " + line;
      }
    }
  }
  return "";
}

}  // namespace strait::control::testing
