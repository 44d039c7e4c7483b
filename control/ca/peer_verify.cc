// CertificateAuthority::verifyPeer: checks a peer's mesh certificate (see
// certificate_authority.h). Kept apart from issuing: this is the authentication path.
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "control/ca/certificate_authority.h"
#include "control/ca/pki.h"

namespace strait::ca {
namespace {

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

// Verifies `leaf` as a TLS client certificate against `trust`, with `untrusted` as the
// candidate intermediates.
absl::Status verifyChain(X509_STORE* trust, X509* leaf, STACK_OF(X509) * untrusted,
                         absl::Time now) {
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (ctx == nullptr || X509_STORE_CTX_init(ctx.get(), trust, leaf, untrusted) != 1) {
    return absl::InternalError("X509_STORE_CTX_init failed");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate does not verify: ", X509_verify_cert_error_string(err)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SpiffeId> CertificateAuthority::verifyPeer(const std::string& leaf_pem,
                                                          const std::string& chain_pem,
                                                          absl::Time now) const {
  auto leaf = parseCertsPem(leaf_pem);
  if (!leaf.ok()) return absl::UnauthenticatedError("unreadable client certificate");
  auto trust = storeFromPem(trust_bundle_pem_);
  if (!trust.ok()) return trust.status();
  std::unique_ptr<STACK_OF(X509), X509StackDeleter> untrusted(sk_X509_new_null());
  for (const auto& c : material_.chain) sk_X509_push(untrusted.get(), X509_dup(c.get()));
  if (!chain_pem.empty()) {
    auto extra = parseCertsPem(chain_pem);
    if (extra.ok()) {
      for (auto& c : *extra) sk_X509_push(untrusted.get(), c.release());
    }
  }
  X509* cert = (*leaf)[0].get();
  absl::Status st = verifyChain(trust->get(), cert, untrusted.get(), now);
  if (!st.ok()) return st;
  std::vector<std::string> uris = uriSans(cert);
  if (uris.size() != 1) {
    return absl::UnauthenticatedError("client certificate must carry exactly one URI SAN");
  }
  auto id = parseSpiffeId(uris[0]);
  if (!id.ok()) return absl::UnauthenticatedError(id.status().message());
  if (id->trust_domain != options_.trust_domain) {
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate is from trust domain '", id->trust_domain, "'"));
  }
  return id;
}

}  // namespace strait::ca
