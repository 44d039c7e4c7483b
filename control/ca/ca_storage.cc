// Loading and persisting the CA (see ca_storage.h).
#include "control/ca/ca_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "control/ca/cert_builder.h"
#include "control/ca/pki.h"

namespace strait::ca {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kRootLifetime = absl::Hours(24 * 3652);  // ~10 years

// Writes `data` to `path` (created with `mode`, replaced atomically via a temp file).
absl::Status writeFileMode(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat("create ", tmp, ": ", strerror(errno)));
  ssize_t n = ::write(fd, data.data(), data.size());
  bool ok = n == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("write ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status ensurePrivateDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", dir, ": ", ec.message()));
  if (::chmod(dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("chmod 0700 ", dir, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<CaMaterial> createRoot(const std::string& dir, const std::string& trust_domain,
                                      absl::Time now) {
  auto key = generateP256Key();
  if (!key.ok()) return key.status();
  CertSpec spec;
  spec.common_name = "Strait Mesh Root CA";
  spec.organization = trust_domain;
  spec.not_before = now - absl::Minutes(5);
  spec.not_after = now + kRootLifetime;
  spec.is_ca = true;
  auto cert = buildCertificate(spec, key->get(), nullptr, key->get());
  if (!cert.ok()) return cert.status();
  auto key_pem = keyToPem(key->get());
  auto cert_pem = certToPem(cert->get());
  if (!key_pem.ok()) return key_pem.status();
  if (!cert_pem.ok()) return cert_pem.status();
  absl::Status st = ensurePrivateDir(dir);
  // The key first: root.pem existing is what marks the directory as initialized.
  if (st.ok()) st = writeFileMode(dir + "/root.key", *key_pem, 0600);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  if (st.ok()) st = writeFileMode(dir + "/root.pem", *cert_pem, 0644);
  if (!st.ok()) return st;
  CaMaterial m;
  m.roots.push_back(tls::X509Ptr(X509_dup(cert->get())));
  m.cert = std::move(*cert);
  m.key = std::move(*key);
  m.created = true;
  return m;
}

absl::Status checkKeyFilePrivate(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("CA key ", path, ": ", strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("CA key ", path, " is readable by group/others (chmod 600 it)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CaMaterial> loadGivenCa(const std::string& cert_file, const std::string& key_file) {
  auto cert_pem = readFileToString(cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  auto certs = parseCertsPem(*cert_pem);
  if (!certs.ok()) return absl::InvalidArgumentError(absl::StrCat(cert_file, ": ", certs.status().message()));
  auto key_pem = readFileToString(key_file);
  if (!key_pem.ok()) return key_pem.status();
  auto key = parseKeyPem(*key_pem);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(key_file, ": ", key.status().message()));
  CaMaterial m;
  m.cert = std::move((*certs)[0]);
  m.key = std::move(*key);
  if (X509_check_private_key(m.cert.get(), m.key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(key_file, " is not the key of ", cert_file));
  }
  if (X509_check_ca(m.cert.get()) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(cert_file, " is not a CA certificate"));
  }
  if (isSelfSigned(m.cert.get())) {
    m.roots.push_back(tls::X509Ptr(X509_dup(m.cert.get())));
  } else {
    m.chain.push_back(tls::X509Ptr(X509_dup(m.cert.get())));
  }
  for (size_t i = 1; i < certs->size(); ++i) {
    auto& c = (*certs)[i];
    (isSelfSigned(c.get()) ? m.roots : m.chain).push_back(std::move(c));
  }
  return m;
}

absl::StatusOr<CaMaterial> loadOrCreateRoot(const std::string& dir,
                                            const std::string& trust_domain, absl::Time now) {
  std::string cert_file = dir + "/root.pem";
  std::string key_file = dir + "/root.key";
  if (!fs::exists(cert_file)) return createRoot(dir, trust_domain, now);
  absl::Status st = checkKeyFilePrivate(key_file);
  if (!st.ok()) return st;
  auto m = loadGivenCa(cert_file, key_file);
  if (m.ok() && m->roots.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(cert_file, " is not a self-signed root"));
  }
  return m;
}

}  // namespace strait::ca
