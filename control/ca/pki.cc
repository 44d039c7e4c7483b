// OpenSSL helpers (see pki.h).
#include "control/ca/pki.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace strait::ca {
namespace {

// The contents of a memory BIO as a string.
std::string bioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

tls::BioPtr readOnlyBio(const std::string& text) {
  return tls::BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace

std::string openSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

absl::StatusOr<tls::EvpPkeyPtr> generateP256Key() {
  tls::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return absl::InternalError("EC P-256 key generation: " + openSslError());
  return key;
}

absl::StatusOr<std::string> keyToPem(EVP_PKEY* key) {
  tls::BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError("cannot encode private key: " + openSslError());
  }
  std::string pem = bioToString(bio.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  OPENSSL_cleanse(data, static_cast<size_t>(len));  // the BIO's copy of the secret
  return pem;
}

absl::StatusOr<tls::EvpPkeyPtr> parseKeyPem(const std::string& pem) {
  tls::BioPtr bio = readOnlyBio(pem);
  tls::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) return absl::InvalidArgumentError("not a PEM private key");
  return key;
}

absl::StatusOr<std::string> certToPem(X509* cert) {
  tls::BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) {
    return absl::InternalError("cannot encode certificate: " + openSslError());
  }
  return bioToString(bio.get());
}

absl::StatusOr<std::vector<tls::X509Ptr>> parseCertsPem(const std::string& pem) {
  tls::BioPtr bio = readOnlyBio(pem);
  std::vector<tls::X509Ptr> out;
  while (true) {
    tls::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    out.push_back(std::move(cert));
  }
  unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  // Running out of PEM blocks is the normal end; anything else is a malformed block.
  if (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
    return absl::InvalidArgumentError("malformed PEM certificate");
  }
  if (out.empty()) return absl::InvalidArgumentError("no PEM certificate found");
  return out;
}

absl::StatusOr<tls::X509StorePtr> storeFromPem(const std::string& pem) {
  auto certs = parseCertsPem(pem);
  if (!certs.ok()) return certs.status();
  tls::X509StorePtr store(X509_STORE_new());
  for (auto& c : *certs) {
    if (X509_STORE_add_cert(store.get(), c.get()) != 1) {
      return absl::InternalError("trust store: " + openSslError());
    }
  }
  return store;
}

absl::StatusOr<std::string> buildCsrPem(EVP_PKEY* key, const std::string& common_name,
                                        const std::vector<std::string>& sans) {
  tls::X509ReqPtr req(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  bool ok = X509_REQ_set_version(req.get(), 0) == 1 &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                       -1, -1, 0) == 1 &&
            X509_REQ_set_pubkey(req.get(), key) == 1;
  if (ok && !sans.empty()) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    std::string value = absl::StrJoin(sans, ",");
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str());
    ok = ext != nullptr && sk_X509_EXTENSION_push(exts, ext) > 0 &&
         X509_REQ_add_extensions(req.get(), exts) == 1;
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  if (!ok || X509_REQ_sign(req.get(), key, EVP_sha256()) <= 0) {
    return absl::InternalError("CSR: " + openSslError());
  }
  tls::BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return absl::InternalError("CSR encoding: " + openSslError());
  }
  return bioToString(bio.get());
}

std::string serialHex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn);
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

int64_t notAfterUnix(X509* cert) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::vector<std::string> uriSans(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                     static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  GENERAL_NAMES_free(names);
  return out;
}

bool isSelfSigned(X509* cert) {
  return X509_self_signed(cert, /*verify_signature=*/1) == 1;
}

absl::StatusOr<std::string> readFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace strait::ca
