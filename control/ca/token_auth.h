// Bootstrap tokens for first certificate requests (--tokens FILE), a stand-in for a
// Kubernetes TokenReview. File format (YAML):
//   tokens:
//   - {token: "s3cret", namespace: default, service_account: web}
// Loaded once at start-up; immutable afterwards, so lookup() is safe from any thread.
// SECRECY: tokens are never logged or echoed in errors.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strait::ca {

struct TokenIdentity {
  std::string ns;               // namespace
  std::string service_account;  // service account
};

class TokenAuthenticator {
 public:
  TokenAuthenticator() = default;  // no tokens: every lookup fails
  // Errors name the file and entry index, never the token text.
  static absl::StatusOr<TokenAuthenticator> loadFile(const std::string& path);
  static absl::StatusOr<TokenAuthenticator> parse(const std::string& yaml_text);

  // The identity of `token`; Unauthenticated if unknown. Compares in constant time per entry.
  absl::StatusOr<TokenIdentity> lookup(const std::string& token) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string token;
    TokenIdentity identity;
  };
  std::vector<Entry> entries_;
};

// The token of an "authorization" metadata value "Bearer <token>"; empty if not of that form.
std::string bearerToken(const std::string& authorization);

}  // namespace strait::ca
