#include "sidecar/filters/cors/cors.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace strait::filters {

absl::StatusOr<std::unique_ptr<const CorsPolicy>> CorsPolicy::compile(const strait::v1::Cors& config) {
  auto p = std::make_unique<CorsPolicy>();
  for (const auto& o : config.allow_origins()) {
    if (o == "*") p->any_origin_ = true;
    else p->origins_.push_back(o);
  }
  for (int i = 0; i < config.allow_origin_regexes_size(); i++) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(config.allow_origin_regexes(i), options);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cors.allow_origin_regexes[", i, "]: invalid regex: ", re->error()));
    }
    p->origin_regexes_.push_back(std::move(re));
  }
  p->credentials_ = config.allow_credentials();
  p->allow_methods_ = config.allow_methods().empty() ? "GET, HEAD, POST" : absl::StrJoin(config.allow_methods(), ", ");
  p->allow_headers_ = absl::StrJoin(config.allow_headers(), ", ");
  p->expose_headers_ = absl::StrJoin(config.expose_headers(), ", ");
  if (config.max_age_seconds() > 0) p->max_age_ = absl::StrCat(config.max_age_seconds());
  return std::unique_ptr<const CorsPolicy>(std::move(p));
}

bool CorsPolicy::originAllowed(std::string_view origin) const {
  if (any_origin_) return true;
  if (std::find(origins_.begin(), origins_.end(), origin) != origins_.end()) return true;
  re2::StringPiece piece(origin.data(), origin.size());
  for (const auto& re : origin_regexes_) {
    if (RE2::FullMatch(piece, *re)) return true;
  }
  return false;
}

std::string_view CorsPolicy::allowOriginValue(std::string_view origin) const {
  // "*" is refused by browsers together with credentials: echo the origin then.
  if (any_origin_ && !credentials_) return "*";
  return origin;
}

void CorsPolicy::fillPreflight(std::string_view origin, http::ResponseHead* head) const {
  head->status = 204;
  http::HeaderMap& h = head->headers;
  h.set("access-control-allow-origin", std::string(allowOriginValue(origin)));
  h.set("access-control-allow-methods", allow_methods_);
  if (!allow_headers_.empty()) h.set("access-control-allow-headers", allow_headers_);
  if (!max_age_.empty()) h.set("access-control-max-age", max_age_);
  if (credentials_) h.set("access-control-allow-credentials", "true");
  addVaryOrigin(&h);
  h.set("content-length", "0");
}

void CorsPolicy::fillActual(std::string_view origin, bool allowed, http::HeaderMap* headers) const {
  addVaryOrigin(headers);
  if (!allowed) return;
  headers->set("access-control-allow-origin", std::string(allowOriginValue(origin)));
  if (credentials_) headers->set("access-control-allow-credentials", "true");
  if (!expose_headers_.empty()) headers->set("access-control-expose-headers", expose_headers_);
}

void CorsPolicy::addVaryOrigin(http::HeaderMap* headers) {
  const std::string* vary = headers->get("vary");
  if (vary == nullptr || vary->empty()) {
    headers->set("vary", "origin");
    return;
  }
  for (absl::string_view token : absl::StrSplit(*vary, ',')) {
    token = absl::StripAsciiWhitespace(token);
    if (token == "*" || absl::EqualsIgnoreCase(token, "origin")) return;
  }
  headers->set("vary", absl::StrCat(*vary, ", origin"));
}

namespace {

class CorsFilter final : public StreamFilter {
 public:
  explicit CorsFilter(const CorsPolicy& policy) : policy_(policy) {}

  FilterStatus onRequestHead(http::RequestHead& head, bool end_stream) override {
    (void)end_stream;
    const std::string* origin = head.headers.get("origin");
    if (origin == nullptr) return FilterStatus::kContinue;
    has_origin_ = true;
    allowed_ = policy_.originAllowed(*origin);
    if (allowed_ && head.method == "OPTIONS" && head.headers.get("access-control-request-method") != nullptr) {
      http::ResponseHead preflight;
      policy_.fillPreflight(*origin, &preflight);
      callbacks_->encodeHead(std::move(preflight), /*end_stream=*/true);
      return FilterStatus::kStop;
    }
    if (allowed_) origin_ = *origin;  // the response needs it after the head is gone
    return FilterStatus::kContinue;
  }

  void onResponseHead(http::ResponseHead& head, http::BodyFraming& framing, uint64_t& length) override {
    (void)framing;
    (void)length;
    if (has_origin_) policy_.fillActual(origin_, allowed_, &head.headers);
  }

 private:
  const CorsPolicy& policy_;
  bool has_origin_ = false;  // the request had an Origin header
  bool allowed_ = false;     // ... from an allowed origin
  std::string origin_;       // its value, when allowed
};

class CorsFactory final : public FilterFactory {
 public:
  explicit CorsFactory(std::unique_ptr<const CorsPolicy> policy) : policy_(std::move(policy)) {}
  std::string_view kind() const override { return "cors"; }
  std::unique_ptr<StreamFilter> create() const override { return std::make_unique<CorsFilter>(*policy_); }

 private:
  std::unique_ptr<const CorsPolicy> policy_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> createCorsFactory(const strait::v1::Cors& config,
                                                                       const FactoryContext& context) {
  (void)context;
  auto policy = CorsPolicy::compile(config);
  if (!policy.ok()) return policy.status();
  return std::make_shared<const CorsFactory>(std::move(*policy));
}

}  // namespace strait::filters
