#include "sidecar/router/header_template.h"

#include "absl/strings/str_cat.h"

namespace strait::proxy {
namespace {

struct VarName {
  std::string_view name;
  HeaderTemplate::Var var;
};

constexpr VarName kVars[] = {
    {"DOWNSTREAM_REMOTE_ADDRESS", HeaderTemplate::Var::kClientIp},
    {"REQ_ID", HeaderTemplate::Var::kRequestId},
    {"PEER_IDENTITY", HeaderTemplate::Var::kPeerIdentity},
    {"ROUTE_NAME", HeaderTemplate::Var::kRouteName},
    {"UPSTREAM_HOST", HeaderTemplate::Var::kUpstreamHost},
};

}  // namespace

absl::StatusOr<HeaderTemplate> HeaderTemplate::compile(std::string_view value) {
  HeaderTemplate t;
  std::string literal;
  for (size_t i = 0; i < value.size(); i++) {
    if (value[i] != '%') {
      literal.push_back(value[i]);
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '%') {
      literal.push_back('%');
      i++;
      continue;
    }
    size_t end = value.find('%', i + 1);
    if (end == std::string_view::npos) {
      return absl::InvalidArgumentError("unterminated variable (a literal '%' is written '%%')");
    }
    std::string_view name = value.substr(i + 1, end - i - 1);
    const VarName* found = nullptr;
    for (const auto& v : kVars) {
      if (v.name == name) found = &v;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown variable '%", absl::string_view(name.data(), name.size()), "%' (expected %DOWNSTREAM_REMOTE_ADDRESS%, %REQ_ID%, ",
          "%PEER_IDENTITY%, %ROUTE_NAME% or %UPSTREAM_HOST%)"));
    }
    if (!literal.empty()) t.segments_.push_back({Var::kLiteral, std::move(literal)});
    literal.clear();
    t.segments_.push_back({found->var, {}});
    if (found->var == Var::kUpstreamHost) t.uses_upstream_host_ = true;
    i = end;
  }
  if (!literal.empty() || t.segments_.empty()) t.segments_.push_back({Var::kLiteral, std::move(literal)});
  return t;
}

std::string HeaderTemplate::render(const HeaderVars& vars) const {
  if (segments_.size() == 1 && segments_[0].var == Var::kLiteral) return segments_[0].literal;
  std::string out;
  for (const auto& s : segments_) {
    switch (s.var) {
      case Var::kLiteral: out += s.literal; break;
      case Var::kClientIp: out.append(vars.client_ip); break;
      case Var::kRequestId: out.append(vars.request_id); break;
      case Var::kPeerIdentity: out.append(vars.peer_identity); break;
      case Var::kRouteName: out.append(vars.route_name); break;
      case Var::kUpstreamHost: out.append(vars.upstream_host); break;
    }
  }
  return out;
}

bool HeaderMutations::usesUpstreamHost() const {
  for (const auto& h : add) {
    if (h.value.usesUpstreamHost()) return true;
  }
  return false;
}

void HeaderMutations::apply(http::HeaderMap& headers, const HeaderVars& vars, bool skip_upstream_host,
                            bool only_upstream_host) const {
  if (!only_upstream_host) {
    for (const auto& name : remove) headers.remove(name);
  }
  for (const auto& h : add) {
    bool upstream = h.value.usesUpstreamHost();
    if ((skip_upstream_host && upstream) || (only_upstream_host && !upstream)) continue;
    switch (h.action) {
      case HeaderToAdd::Action::kAdd: headers.add(h.key, h.value.render(vars)); break;
      case HeaderToAdd::Action::kSet: headers.set(h.key, h.value.render(vars)); break;
      case HeaderToAdd::Action::kAddIfAbsent:
        if (headers.get(h.key) == nullptr) headers.add(h.key, h.value.render(vars));
        break;
      case HeaderToAdd::Action::kAppend: {
        bool appended = false;
        for (auto& f : headers.fields()) {
          if (f.name != h.key) continue;
          f.value = absl::StrCat(f.value, f.value.empty() ? "" : ", ", h.value.render(vars));
          appended = true;
          break;
        }
        if (!appended) headers.add(h.key, h.value.render(vars));
        break;
      }
    }
  }
}

}  // namespace strait::proxy
