// Certificate construction (see cert_builder.h).
#include "control/ca/cert_builder.h"

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/ca/pki.h"

namespace strait::ca {
namespace {

absl::Status setRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return absl::InternalError("RAND_bytes failed");
  bytes[0] &= 0x7f;  // positive, as RFC 5280 requires
  bytes[0] |= 0x40;  // and always 16 bytes long
  BIGNUM* bn = BN_bin2bn(bytes, sizeof(bytes), nullptr);
  bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
  BN_free(bn);
  return ok ? absl::OkStatus() : absl::InternalError("serial: " + openSslError());
}

absl::Status setSubject(X509* cert, const CertSpec& spec) {
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [name](const char* field, const std::string& value) {
    return value.empty() ||
           X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                      -1, 0) == 1;
  };
  if (!add("O", spec.organization) || !add("CN", spec.common_name)) {
    return absl::InvalidArgumentError("subject: " + openSslError());
  }
  return absl::OkStatus();
}

absl::Status addExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("extension ", OBJ_nid2sn(nid), "=", value, ": ", openSslError()));
  }
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? absl::OkStatus() : absl::InternalError("X509_add_ext: " + openSslError());
}

std::string sanValue(const CertSpec& spec) {
  std::vector<std::string> sans;
  for (const auto& u : spec.uri_sans) sans.push_back("URI:" + u);
  for (const auto& d : spec.dns_sans) sans.push_back("DNS:" + d);
  for (const auto& ip : spec.ip_sans) sans.push_back("IP:" + ip);
  return absl::StrJoin(sans, ",");
}

absl::Status addExtensions(X509* cert, X509* issuer, const CertSpec& spec) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> exts;
  if (spec.is_ca) {
    exts = {{NID_basic_constraints, "critical,CA:TRUE"},
            {NID_key_usage, "critical,keyCertSign,cRLSign"}};
  } else {
    exts = {{NID_basic_constraints, "critical,CA:FALSE"},
            {NID_key_usage, "critical,digitalSignature"},
            {NID_ext_key_usage, "serverAuth,clientAuth"}};
  }
  exts.emplace_back(NID_subject_key_identifier, "hash");
  if (issuer != nullptr) exts.emplace_back(NID_authority_key_identifier, "keyid:always");
  std::string sans = sanValue(spec);
  if (!sans.empty()) exts.emplace_back(NID_subject_alt_name, sans);
  for (const auto& [nid, value] : exts) {
    absl::Status st = addExtension(cert, &ctx, nid, value);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<tls::X509Ptr> buildCertificate(const CertSpec& spec, EVP_PKEY* public_key,
                                              X509* issuer_cert, EVP_PKEY* issuer_key) {
  tls::X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) {
    return absl::InternalError("X509_new: " + openSslError());
  }
  absl::Status st = setRandomSerial(cert.get());
  if (st.ok()) st = setSubject(cert.get(), spec);
  if (!st.ok()) return st;
  X509_NAME* issuer_name = issuer_cert != nullptr ? X509_get_subject_name(issuer_cert)
                                                  : X509_get_subject_name(cert.get());
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(spec.not_after)) == nullptr ||
      X509_set_pubkey(cert.get(), public_key) != 1) {
    return absl::InternalError("certificate fields: " + openSslError());
  }
  st = addExtensions(cert.get(), issuer_cert, spec);
  if (!st.ok()) return st;
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) {
    return absl::InternalError("signing: " + openSslError());
  }
  return cert;
}

}  // namespace strait::ca
