// Test-only certificates made in-process with OpenSSL (EC P-256): a CA and leaves with chosen
// SANs and validity. Nothing here is checked in as key material.
#pragma once

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "sidecar/tls/openssl_ptr.h"

namespace strait::tls::testing {

inline EvpPkeyPtr makeKey() { return EvpPkeyPtr(EVP_EC_gen("P-256")); }

struct CertOptions {
  std::string cn = "test";
  std::vector<std::string> sans;  // "DNS:a.test", "URI:spiffe://..."
  long not_before_s = -60;        // relative to now
  long not_after_s = 3600;
  bool ca = false;
};

// Signed by (issuer, issuer_key), or self-signed when issuer is null.
inline X509Ptr makeCert(EVP_PKEY* key, const CertOptions& o, X509* issuer = nullptr, EVP_PKEY* issuer_key = nullptr) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), o.not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), o.not_after_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(o.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string sans;
  for (const auto& s : o.sans) sans += (sans.empty() ? "" : ",") + s;
  auto addExt = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  if (!sans.empty()) addExt(NID_subject_alt_name, sans);
  addExt(NID_basic_constraints, o.ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

inline std::string certPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

inline std::string keyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace strait::tls::testing
