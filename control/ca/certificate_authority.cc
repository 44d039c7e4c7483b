// The mesh CA (see certificate_authority.h).
#include "control/ca/certificate_authority.h"

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "control/ca/pki.h"

namespace strait::ca {
namespace {

constexpr absl::Duration kBackdate = absl::Seconds(5);  // tolerates small clock skew
constexpr absl::Duration kServerLifetime = absl::Hours(24 * 365);

absl::StatusOr<std::string> bundlePem(const CaMaterial& m, const CaOptions& options) {
  std::string pem;
  for (const auto& root : m.roots) {
    auto p = certToPem(root.get());
    if (!p.ok()) return p.status();
    pem += *p;
  }
  for (const auto& file : options.extra_trust_root_files) {
    auto p = readFileToString(file);
    if (!p.ok()) return p.status();
    auto certs = parseCertsPem(*p);
    if (!certs.ok()) return absl::InvalidArgumentError(absl::StrCat(file, ": ", certs.status().message()));
    pem += *p;
    if (!pem.empty() && pem.back() != '\n') pem += "\n";
  }
  if (pem.empty()) {
    return absl::InvalidArgumentError(
        "no trust root: --ca-cert holds an intermediate without its root; append the root to "
        "the file or pass --extra-trust-root");
  }
  return pem;
}

// Parses the CSR and checks its self-signature; returns its public key.
absl::StatusOr<tls::EvpPkeyPtr> csrPublicKey(const std::string& csr_pem) {
  tls::BioPtr bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  tls::X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (req == nullptr) {
    openSslError();
    return absl::InvalidArgumentError("csr_pem is not a PEM certificate request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    openSslError();
    return absl::InvalidArgumentError("CSR signature does not verify");
  }
  bool ok = (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) >= 256) ||
            (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048);
  if (!ok) return absl::InvalidArgumentError("CSR key must be EC (>= P-256) or RSA (>= 2048)");
  EVP_PKEY_up_ref(key);
  return tls::EvpPkeyPtr(key);
}

absl::Duration lifetime(int64_t requested_ttl_seconds, absl::Duration max_ttl) {
  if (requested_ttl_seconds <= 0) return max_ttl;
  return std::clamp(absl::Seconds(requested_ttl_seconds), absl::Seconds(1), max_ttl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CertificateAuthority>> CertificateAuthority::create(
    const CaOptions& options, absl::Time now) {
  if (!validSpiffePart(options.trust_domain)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid trust domain '", options.trust_domain, "'"));
  }
  if (options.max_ttl < absl::Seconds(1)) return absl::InvalidArgumentError("--cert-ttl must be >= 1s");
  if (options.ca_cert_file.empty() != options.ca_key_file.empty()) {
    return absl::InvalidArgumentError("--ca-cert and --ca-key go together");
  }
  absl::StatusOr<CaMaterial> m =
      options.ca_cert_file.empty()
          ? loadOrCreateRoot(options.ca_dir, options.trust_domain, now)
          : loadGivenCa(options.ca_cert_file, options.ca_key_file);
  if (!m.ok()) return m.status();
  auto bundle = bundlePem(*m, options);
  if (!bundle.ok()) return bundle.status();
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(options, std::move(*m), std::move(*bundle)));
}

absl::StatusOr<std::string> CertificateAuthority::signChain(const CertSpec& spec, EVP_PKEY* key,
                                                            tls::X509Ptr* leaf) const {
  CertSpec capped = spec;
  capped.not_after = std::min(spec.not_after,
                              absl::FromTimeT(notAfterUnix(material_.cert.get())));
  absl::StatusOr<tls::X509Ptr> cert;
  {
    absl::MutexLock lock(&sign_mu_);
    cert = buildCertificate(capped, key, material_.cert.get(), material_.key.get());
  }
  if (!cert.ok()) return cert.status();
  auto pem = certToPem(cert->get());
  if (!pem.ok()) return pem.status();
  for (const auto& c : material_.chain) {
    auto p = certToPem(c.get());
    if (!p.ok()) return p.status();
    *pem += *p;
  }
  *leaf = std::move(*cert);
  return pem;
}

absl::StatusOr<IssuedCertificate> CertificateAuthority::issueWorkload(
    const std::string& csr_pem, const std::string& ns, const std::string& sa,
    int64_t requested_ttl_seconds, absl::Time now) const {
  if (!validSpiffePart(ns) || !validSpiffePart(sa)) {
    return absl::InvalidArgumentError("invalid namespace or service account");
  }
  auto key = csrPublicKey(csr_pem);
  if (!key.ok()) return key.status();
  SpiffeId id{options_.trust_domain, ns, sa};
  CertSpec spec;
  spec.common_name = sa;
  spec.organization = options_.trust_domain;
  spec.not_before = now - kBackdate;
  spec.not_after = now + lifetime(requested_ttl_seconds, options_.max_ttl);
  spec.uri_sans = {id.toUri()};
  tls::X509Ptr leaf;
  auto chain = signChain(spec, key->get(), &leaf);
  if (!chain.ok()) return chain.status();
  return IssuedCertificate{*chain, id.toUri(), serialHex(leaf.get()), notAfterUnix(leaf.get())};
}

absl::StatusOr<ServerKeyPair> CertificateAuthority::issueServer(
    const std::vector<std::string>& dns_names, const std::vector<std::string>& ips,
    absl::Time now) const {
  auto key = generateP256Key();
  if (!key.ok()) return key.status();
  CertSpec spec;
  spec.common_name = dns_names.empty() ? "strait-control" : dns_names[0];
  spec.organization = options_.trust_domain;
  spec.not_before = now - kBackdate;
  spec.not_after = now + kServerLifetime;
  spec.dns_sans = dns_names;
  spec.ip_sans = ips;
  tls::X509Ptr leaf;
  auto chain = signChain(spec, key->get(), &leaf);
  if (!chain.ok()) return chain.status();
  auto key_pem = keyToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  return ServerKeyPair{*chain, std::move(*key_pem)};
}

}  // namespace strait::ca
