#include "sidecar/tls/san.h"

#include <gtest/gtest.h>

#include "tests/unit/tls/test_certs.h"

namespace strait::tls {
namespace {

X509Ptr certWith(std::vector<std::string> sans, const std::string& cn = "cn.test") {
  EvpPkeyPtr key = testing::makeKey();
  testing::CertOptions o;
  o.cn = cn;
  o.sans = std::move(sans);
  return testing::makeCert(key.get(), o);
}

TEST(SanTest, DnsExactAndWildcard) {
  X509Ptr cert = certWith({"DNS:api.example.com", "DNS:*.svc.test"});
  EXPECT_TRUE(matchSubjectAltNames(cert.get(), {"api.example.com"}));
  EXPECT_TRUE(matchSubjectAltNames(cert.get(), {"API.example.com"}));
  EXPECT_TRUE(matchSubjectAltNames(cert.get(), {"nope.test", "b.svc.test"}));
  EXPECT_FALSE(matchSubjectAltNames(cert.get(), {"example.com"}));
  EXPECT_FALSE(matchSubjectAltNames(cert.get(), {"a.b.svc.test"}));
}

TEST(SanTest, UriIsExact) {
  X509Ptr cert = certWith({"URI:spiffe://strait.local/ns/default/sa/backend"});
  EXPECT_TRUE(matchSubjectAltNames(cert.get(), {"spiffe://strait.local/ns/default/sa/backend"}));
  EXPECT_FALSE(matchSubjectAltNames(cert.get(), {"spiffe://strait.local/ns/default/sa/back"}));
  EXPECT_FALSE(matchSubjectAltNames(cert.get(), {"spiffe://strait.local/ns/default/sa/backend2"}));
  EXPECT_EQ(spiffeIdOf(cert.get()), "spiffe://strait.local/ns/default/sa/backend");
}

TEST(SanTest, SubjectCommonNameIsNeverUsed) {
  X509Ptr cert = certWith({}, "api.example.com");
  EXPECT_FALSE(matchSubjectAltNames(cert.get(), {"api.example.com"}));
  EXPECT_TRUE(matchSubjectAltNames(cert.get(), {}));
  EXPECT_EQ(spiffeIdOf(cert.get()), "");
}

}  // namespace
}  // namespace strait::tls
