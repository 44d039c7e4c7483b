// Validation of the TLS settings of listeners and clusters (see validate.h): references to
// secrets resolve to secrets holding the PEM fields the use needs, enum values are known,
// and combinations that cannot work are refused. PEM contents (parse, key match, expiry)
// are checked where they are used: when the sidecar builds its TLS contexts.
#include <map>

#include "absl/strings/str_cat.h"
#include "xds/validate_internal.h"

namespace strait::xds::internal {
namespace {

using SecretIndex = std::map<std::string, const strait::v1::Secret*>;

// What a referenced secret must hold.
enum class Need { kCertAndKey, kTrustedCa };

void checkSecretRef(const std::string& kind, const std::string& name, const std::string& field,
                    const std::string& secret, Need need, const SecretIndex& secrets, Problems* p) {
  auto it = secrets.find(secret);
  if (it == secrets.end()) {
    p->add(kind, name, field, "unknown secret '" + secret + "'");
    return;
  }
  const strait::v1::Secret& s = *it->second;
  if (need == Need::kCertAndKey && (s.certificate_chain().empty() || s.private_key().empty())) {
    p->add(kind, name, field, "secret '" + secret + "' needs certificate_chain and private_key");
  }
  if (need == Need::kTrustedCa && s.trusted_ca().empty()) {
    p->add(kind, name, field, "secret '" + secret + "' has no trusted_ca");
  }
}

void checkAlpn(const std::string& kind, const std::string& name, const std::string& field,
               const google::protobuf::RepeatedPtrField<std::string>& protocols, Problems* p) {
  for (int i = 0; i < protocols.size(); ++i) {
    if (protocols[i].empty() || protocols[i].size() > 255) {
      p->add(kind, name, absl::StrCat(field, "[", i, "]"), "must be 1..255 bytes");
    }
  }
}

void checkParams(const std::string& kind, const std::string& name, const std::string& field,
                 const strait::v1::TlsParams& params, Problems* p) {
  if (!strait::v1::TlsParams::TlsVersion_IsValid(params.min_version())) {
    p->add(kind, name, field + ".min_version", absl::StrCat("unknown version ", params.min_version()));
  }
}

bool isServerName(const std::string& n) {
  std::string rest = n.rfind("*.", 0) == 0 ? n.substr(2) : n;
  return !rest.empty() && rest.find('*') == std::string::npos && rest.find(' ') == std::string::npos;
}

void checkListenerTls(const strait::v1::Listener& l, const SecretIndex& secrets, Problems* p) {
  const auto& t = l.tls();
  const std::string& n = l.name();
  if (t.use_mesh_certificate() && t.certificates_size() > 0) {
    p->add("listener", n, "tls.certificates", "not allowed with use_mesh_certificate");
  } else if (!t.use_mesh_certificate() && t.certificates_size() == 0) {
    p->add("listener", n, "tls.certificates", "at least one certificate (or use_mesh_certificate) required");
  }
  for (int i = 0; i < t.certificates_size(); ++i) {
    const auto& c = t.certificates(i);
    std::string field = absl::StrCat("tls.certificates[", i, "]");
    checkSecretRef("listener", n, field + ".secret", c.secret(), Need::kCertAndKey, secrets, p);
    for (int j = 0; j < c.server_names_size(); ++j) {
      if (!isServerName(c.server_names(j))) {
        p->add("listener", n, absl::StrCat(field, ".server_names[", j, "]"),
               "'" + c.server_names(j) + "' is not a host name or *.wildcard");
      }
    }
  }
  checkAlpn("listener", n, "tls.alpn_protocols", t.alpn_protocols(), p);
  checkParams("listener", n, "tls.params", t.params(), p);
  if (!strait::v1::MtlsMode_IsValid(t.mtls_mode())) {
    p->add("listener", n, "tls.mtls_mode", absl::StrCat("unknown mode ", t.mtls_mode()));
  }
  if (!t.client_ca_secret().empty()) {
    checkSecretRef("listener", n, "tls.client_ca_secret", t.client_ca_secret(), Need::kTrustedCa, secrets, p);
  }
  const auto& rot = t.session_ticket_key_rotation();
  if (!isValidDuration(rot) || toNanos(rot) < 0) {
    p->add("listener", n, "tls.session_ticket_key_rotation", "must be a valid duration >= 0");
  }
}

void checkClusterTls(const strait::v1::Cluster& c, const SecretIndex& secrets, Problems* p) {
  const auto& t = c.tls();
  const std::string& n = c.name();
  if (t.trusted_ca_secret().empty() && !t.use_mesh_certificate()) {
    p->add("cluster", n, "tls.trusted_ca_secret",
           "required unless use_mesh_certificate (no way to verify the endpoints)");
  }
  if (!t.trusted_ca_secret().empty()) {
    checkSecretRef("cluster", n, "tls.trusted_ca_secret", t.trusted_ca_secret(), Need::kTrustedCa, secrets, p);
  }
  if (!t.client_certificate_secret().empty()) {
    if (t.use_mesh_certificate()) {
      p->add("cluster", n, "tls.client_certificate_secret", "not allowed with use_mesh_certificate");
    }
    checkSecretRef("cluster", n, "tls.client_certificate_secret", t.client_certificate_secret(),
                   Need::kCertAndKey, secrets, p);
  }
  for (int i = 0; i < t.match_subject_alt_names_size(); ++i) {
    if (t.match_subject_alt_names(i).empty()) {
      p->add("cluster", n, absl::StrCat("tls.match_subject_alt_names[", i, "]"), "must not be empty");
    }
  }
  checkAlpn("cluster", n, "tls.alpn_protocols", t.alpn_protocols(), p);
  checkParams("cluster", n, "tls.params", t.params(), p);
}

}  // namespace

void validateTls(const strait::v1::Generation& gen, Problems* problems) {
  SecretIndex secrets;
  for (const auto& s : gen.secrets()) secrets.emplace(s.name(), &s);
  for (const auto& l : gen.listeners()) {
    if (l.has_tls()) checkListenerTls(l, secrets, problems);
  }
  for (const auto& c : gen.clusters()) {
    if (c.has_tls()) checkClusterTls(c, secrets, problems);
  }
}

}  // namespace strait::xds::internal
