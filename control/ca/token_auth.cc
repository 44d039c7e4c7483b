// Bootstrap token table (see token_auth.h).
#include "control/ca/token_auth.h"

#include <openssl/crypto.h>
#include <yaml-cpp/yaml.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "control/ca/pki.h"
#include "control/ca/spiffe_id.h"

namespace strait::ca {
namespace {

std::string field(const YAML::Node& entry, const char* key) {
  const YAML::Node v = entry[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

}  // namespace

absl::StatusOr<TokenAuthenticator> TokenAuthenticator::parse(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not YAML: ", e.msg));
  }
  if (!root.IsMap() || !root["tokens"] || !root["tokens"].IsSequence()) {
    return absl::InvalidArgumentError("expected a map with a 'tokens' list");
  }
  TokenAuthenticator out;
  int index = 0;
  for (const YAML::Node& entry : root["tokens"]) {
    Entry e{field(entry, "token"), {field(entry, "namespace"), field(entry, "service_account")}};
    if (e.token.size() < 8) {
      return absl::InvalidArgumentError(absl::StrCat("tokens[", index, "]: token missing or shorter than 8 characters"));
    }
    if (!validSpiffePart(e.identity.ns) || !validSpiffePart(e.identity.service_account)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tokens[", index, "]: namespace and service_account must be non-empty [A-Za-z0-9._-]"));
    }
    out.entries_.push_back(std::move(e));
    ++index;
  }
  return out;
}

absl::StatusOr<TokenAuthenticator> TokenAuthenticator::loadFile(const std::string& path) {
  auto text = readFileToString(path);
  if (!text.ok()) return text.status();
  auto out = parse(*text);
  if (!out.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", out.status().message()));
  return out;
}

absl::StatusOr<TokenIdentity> TokenAuthenticator::lookup(const std::string& token) const {
  const TokenIdentity* found = nullptr;
  for (const Entry& e : entries_) {
    if (e.token.size() == token.size() &&
        CRYPTO_memcmp(e.token.data(), token.data(), token.size()) == 0) {
      found = &e.identity;
    }
  }
  if (found == nullptr) return absl::UnauthenticatedError("unknown bootstrap token");
  return *found;
}

std::string bearerToken(const std::string& authorization) {
  absl::string_view v = authorization;
  if (!absl::ConsumePrefix(&v, "Bearer ")) return "";
  return std::string(absl::StripAsciiWhitespace(v));
}

}  // namespace strait::ca
