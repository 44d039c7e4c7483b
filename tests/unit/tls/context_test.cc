// ServerContext/ClientContext build errors name the resource, field and secret.
#include <gtest/gtest.h>

#include "sidecar/tls/client_context.h"
#include "sidecar/tls/server_context.h"
#include "tests/unit/tls/test_certs.h"

namespace strait::tls {
namespace {

using testing::CertOptions;

class ContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_key_ = testing::makeKey();
    CertOptions ca_opts;
    ca_opts.cn = "ca";
    ca_opts.ca = true;
    ca_ = testing::makeCert(ca_key_.get(), ca_opts);
    key_ = testing::makeKey();
    addSecret("web-cert", leaf({}), testing::keyPem(key_.get()));
    auto* ca = gen_.add_secrets();
    ca->set_name("ca");
    ca->set_trusted_ca(testing::certPem(ca_.get()));
  }
  std::string leaf(CertOptions o) {
    o.sans = {"DNS:web.test"};
    X509Ptr cert = testing::makeCert(key_.get(), o, ca_.get(), ca_key_.get());
    return testing::certPem(cert.get());
  }
  void addSecret(const std::string& name, const std::string& chain, const std::string& key) {
    auto* s = gen_.add_secrets();
    s->set_name(name);
    s->set_certificate_chain(chain);
    s->set_private_key(key);
  }
  absl::Status buildServer(const std::string& secret, const strait::v1::TlsParams& params = {}) {
    strait::v1::DownstreamTls config;
    config.add_certificates()->set_secret(secret);
    *config.mutable_params() = params;
    return ServerContext::create("listener 'web'", config, indexSecrets(gen_), nullptr).status();
  }

  EvpPkeyPtr ca_key_, key_;
  X509Ptr ca_;
  strait::v1::Generation gen_;
};

TEST_F(ContextTest, ValidCertificateBuilds) { EXPECT_TRUE(buildServer("web-cert").ok()); }

TEST_F(ContextTest, MismatchedKeyNamesTheSecret) {
  EvpPkeyPtr other = testing::makeKey();
  addSecret("bad", leaf({}), testing::keyPem(other.get()));
  absl::Status s = buildServer("bad");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("listener 'web': tls.certificates[0]: secret 'bad': private_key: "),
            absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("does not match"), absl::string_view::npos) << s;
}

TEST_F(ContextTest, ExpiredAndNotYetValidLeavesAreRefused) {
  CertOptions expired;
  expired.not_before_s = -7200;
  expired.not_after_s = -3600;
  addSecret("old", leaf(expired), testing::keyPem(key_.get()));
  absl::Status s = buildServer("old");
  EXPECT_NE(s.message().find("secret 'old': certificate_chain: certificate expired"), absl::string_view::npos) << s;
  CertOptions future;
  future.not_before_s = 3600;
  addSecret("future", leaf(future), testing::keyPem(key_.get()));
  s = buildServer("future");
  EXPECT_NE(s.message().find("secret 'future': certificate_chain: certificate not valid before"),
            absl::string_view::npos) << s;
}

TEST_F(ContextTest, MalformedPemNamesTheSecretAndField) {
  addSecret("junk", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            testing::keyPem(key_.get()));
  absl::Status s = buildServer("junk");
  EXPECT_NE(s.message().find("secret 'junk': certificate_chain: "), absl::string_view::npos) << s;
  addSecret("junk-key", leaf({}), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  s = buildServer("junk-key");
  EXPECT_NE(s.message().find("secret 'junk-key': private_key: "), absl::string_view::npos) << s;
}

TEST_F(ContextTest, BadCipherListAndCurvesNameTheField) {
  strait::v1::TlsParams params;
  params.set_cipher_list("NO-SUCH-CIPHER");
  absl::Status s = buildServer("web-cert", params);
  EXPECT_NE(s.message().find("listener 'web': tls.params.cipher_list: "), absl::string_view::npos) << s;
  params.Clear();
  params.set_curves("NOPE");
  s = buildServer("web-cert", params);
  EXPECT_NE(s.message().find("listener 'web': tls.params.curves: "), absl::string_view::npos) << s;
}

TEST_F(ContextTest, MeshCertificateNeedsAMeshIdentity) {
  strait::v1::DownstreamTls config;
  config.set_use_mesh_certificate(true);
  absl::Status s = ServerContext::create("listener 'web'", config, indexSecrets(gen_), nullptr).status();
  EXPECT_NE(s.message().find("no mesh identity"), absl::string_view::npos) << s;
  MeshCertificateStore store;
  auto ctx = ServerContext::create("listener 'web'", config, indexSecrets(gen_), &store);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
}

TEST_F(ContextTest, ClientContextErrorsNameTheCluster) {
  strait::v1::UpstreamTls config;
  config.set_trusted_ca_secret("ca");
  config.set_client_certificate_secret("missing");
  absl::Status s = ClientContext::create("cluster 'b'", config, indexSecrets(gen_), nullptr).status();
  EXPECT_NE(s.message().find("cluster 'b': tls.client_certificate_secret: unknown secret 'missing'"),
            absl::string_view::npos) << s;
  config.set_client_certificate_secret("web-cert");
  auto ok = ClientContext::create("cluster 'b'", config, indexSecrets(gen_), nullptr);
  ASSERT_TRUE(ok.ok()) << ok.status();
  auto again = ClientContext::create("cluster 'b'", config, indexSecrets(gen_), nullptr);
  EXPECT_EQ((*ok)->fingerprint(), (*again)->fingerprint());
  config.set_sni("other");
  auto changed = ClientContext::create("cluster 'b'", config, indexSecrets(gen_), nullptr);
  EXPECT_NE((*ok)->fingerprint(), (*changed)->fingerprint());
}

}  // namespace
}  // namespace strait::tls
