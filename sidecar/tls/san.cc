#include "sidecar/tls/san.h"

#include <openssl/x509v3.h>

#include <memory>

namespace strait::tls {
namespace {

struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;

std::vector<std::string> uriSans(X509* cert) {
  std::vector<std::string> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); i++) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = gn->d.uniformResourceIdentifier;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                     static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  return out;
}

}  // namespace

std::string spiffeIdOf(X509* cert) {
  if (cert == nullptr) return "";
  for (auto& uri : uriSans(cert)) {
    if (uri.rfind("spiffe://", 0) == 0) return uri;
  }
  return "";
}

bool matchSubjectAltNames(X509* cert, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  if (cert == nullptr) return false;
  std::vector<std::string> uris;
  bool uris_loaded = false;
  for (const auto& name : wanted) {
    if (name.find("://") != std::string::npos) {
      if (!uris_loaded) uris = uriSans(cert), uris_loaded = true;
      for (const auto& uri : uris) {
        if (uri == name) return true;
      }
    } else if (X509_check_host(cert, name.data(), name.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                               nullptr) == 1) {
      return true;
    }
  }
  return false;
}

}  // namespace strait::tls
