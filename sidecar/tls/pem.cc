#include "sidecar/tls/pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"

namespace strait::tls {
namespace {

BioPtr memBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string asn1TimeText(const ASN1_TIME* t) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// A PEM reader reports "no start line" once the input is exhausted; anything else is real.
bool endOfPem() {
  unsigned long err = ERR_peek_last_error();
  return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

}  // namespace

std::string lastSslError() {
  unsigned long err = ERR_get_error();
  ERR_clear_error();
  if (err == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(err, buf, sizeof(buf));
  return buf;
}

absl::StatusOr<std::vector<X509Ptr>> parseCertificateChain(const std::string& pem) {
  if (pem.empty()) return absl::InvalidArgumentError("empty");
  BioPtr bio = memBio(pem);
  std::vector<X509Ptr> chain;
  ERR_clear_error();
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) chain.emplace_back(cert);
  if (!chain.empty() && endOfPem()) ERR_clear_error();
  if (ERR_peek_error() != 0) return absl::InvalidArgumentError(absl::StrCat("malformed PEM: ", lastSslError()));
  if (chain.empty()) return absl::InvalidArgumentError("no certificate in PEM data");
  return chain;
}

absl::StatusOr<EvpPkeyPtr> parsePrivateKey(const std::string& pem) {
  if (pem.empty()) return absl::InvalidArgumentError("empty");
  BioPtr bio = memBio(pem);
  ERR_clear_error();
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return absl::InvalidArgumentError(absl::StrCat("malformed PEM private key: ", lastSslError()));
  return key;
}

absl::StatusOr<X509StorePtr> parseTrustBundle(const std::string& pem) {
  auto certs = parseCertificateChain(pem);
  if (!certs.ok()) return certs.status();
  X509StorePtr store(X509_STORE_new());
  for (auto& cert : *certs) {
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("cannot add CA certificate: ", lastSslError()));
    }
  }
  return store;
}

absl::Status checkValidity(X509* cert, time_t now) {
  if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate expired at ", asn1TimeText(X509_get0_notAfter(cert))));
  }
  if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate not valid before ", asn1TimeText(X509_get0_notBefore(cert))));
  }
  return absl::OkStatus();
}

absl::Status checkKeyMatches(X509* cert, EVP_PKEY* key) {
  ERR_clear_error();
  if (X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("private key does not match the certificate");
  }
  return absl::OkStatus();
}

}  // namespace strait::tls
