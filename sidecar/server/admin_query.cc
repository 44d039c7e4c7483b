#include "sidecar/server/admin_query.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sidecar/http/text.h"

namespace strait::server {
namespace {

using http::hexValue;

}  // namespace

const std::string* AdminQuery::get(absl::string_view key) const {
  for (const auto& [k, v] : params_) {
    if (k == key) return &v;
  }
  return nullptr;
}

absl::Status AdminQuery::allowOnly(std::initializer_list<absl::string_view> allowed) const {
  for (const auto& [k, v] : params_) {
    bool known = false;
    for (absl::string_view a : allowed) known = known || k == a;
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown query parameter '", k, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> percentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); i++) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      if (in.size() - i < 3 || hexValue(in[i + 1]) < 0 || hexValue(in[i + 2]) < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad percent-encoding in '", in.substr(0, 64), in.size() > 64 ? "..." : "",
                         "': '%' needs two hex digits"));
      }
      out += static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2]));
      i += 2;
    }
  }
  return out;
}

absl::StatusOr<AdminQuery> parseAdminQuery(absl::string_view query) {
  AdminQuery out;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    size_t eq = part.find('=');
    absl::string_view raw_key = part.substr(0, eq);
    absl::string_view raw_value = eq == absl::string_view::npos ? absl::string_view() : part.substr(eq + 1);
    auto key = percentDecode(raw_key);
    if (!key.ok()) return key.status();
    auto value = percentDecode(raw_value);
    if (!value.ok()) return value.status();
    if (key->empty()) return absl::InvalidArgumentError(absl::StrCat("query parameter without a name: '", part, "'"));
    if (out.has(*key)) return absl::InvalidArgumentError(absl::StrCat("query parameter '", *key, "' given twice"));
    out.params_.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

absl::StatusOr<AdminTarget> parseAdminTarget(absl::string_view target) {
  size_t q = target.find('?');
  AdminTarget out;
  out.path = std::string(target.substr(0, q));
  if (q == absl::string_view::npos) return out;
  auto query = parseAdminQuery(target.substr(q + 1));
  if (!query.ok()) return query.status();
  out.query = std::move(*query);
  return out;
}

}  // namespace strait::server
