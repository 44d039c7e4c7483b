#include "sidecar/server/admin_stats_format.h"

#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sidecar/server/admin_json.h"

namespace strait::server {
namespace {

// One line of exposition text, classified.
struct Line {
  absl::string_view text;
  absl::string_view family;  // the family it belongs to ("" for a stray comment)
  bool sample = false;       // a sample, not a HELP/TYPE/other comment
};

absl::string_view sampleName(absl::string_view line) {
  return line.substr(0, std::min(line.find('{'), line.find(' ')));
}

// Calls `visit` for every non-empty line with its family.
void forEachLine(absl::string_view text, const std::function<void(const Line&)>& visit) {
  absl::string_view family;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# HELP ") || absl::StartsWith(line, "# TYPE ")) {
      absl::string_view rest = line.substr(7);
      family = rest.substr(0, rest.find(' '));
      visit({line, family, false});
    } else if (absl::StartsWith(line, "#")) {
      visit({line, family, false});
    } else {
      absl::string_view name = sampleName(line);
      bool own = !family.empty() && absl::StartsWith(name, family) &&
                 (name.size() == family.size() || name[family.size()] == '_');
      visit({line, own ? family : name, true});
    }
  }
}

bool matches(const RE2* filter, absl::string_view family) {
  return filter == nullptr || RE2::PartialMatch(re2::StringPiece(family.data(), family.size()), *filter);
}

void appendJsonValue(std::string& out, absl::string_view value) {
  static const RE2 kJsonNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)");
  if (RE2::FullMatch(re2::StringPiece(value.data(), value.size()), kJsonNumber)) {
    out.append(value.data(), value.size());
  } else {
    appendJsonString(out, value);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RE2>> compileStatsFilter(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes back to the client, not to stderr
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) return absl::InvalidArgumentError(absl::StrCat("bad filter regex '", pattern, "': ", re->error()));
  return re;
}

std::string filterStats(absl::string_view text, const RE2* filter) {
  std::string out;
  forEachLine(text, [&](const Line& line) {
    if (!matches(filter, line.family)) return;
    absl::StrAppend(&out, line.text, "\n");
  });
  return out;
}

std::string statsToJson(absl::string_view text, const RE2* filter) {
  std::string out = "{";
  bool first = true;
  forEachLine(text, [&](const Line& line) {
    if (!line.sample || !matches(filter, line.family)) return;
    size_t space = line.text.rfind(' ');
    if (space == absl::string_view::npos) return;  // not a sample line; nothing to report
    out += first ? "\n  " : ",\n  ";
    first = false;
    appendJsonString(out, line.text.substr(0, space));
    out += ": ";
    appendJsonValue(out, line.text.substr(space + 1));
  });
  out += first ? "}\n" : "\n}\n";
  return out;
}

}  // namespace strait::server
