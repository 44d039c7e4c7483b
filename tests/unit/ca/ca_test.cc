// The mesh CA: root creation and persistence, what an issued certificate says, TTL caps,
// CSR checks, peer verification.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "control/ca/certificate_authority.h"
#include "control/ca/pki.h"

namespace strait::ca {
namespace {

namespace fs = std::filesystem;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

class CaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strait-ca-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.ca_dir = dir_ + "/ca";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<CertificateAuthority> makeCa() {
    auto ca = CertificateAuthority::create(options_, kNow);
    EXPECT_TRUE(ca.ok()) << ca.status();
    return ca.ok() ? std::move(*ca) : nullptr;
  }
  static std::string csr(const std::vector<std::string>& sans = {}) {
    auto key = generateP256Key();
    auto csr = buildCsrPem(key->get(), "evil", sans);
    EXPECT_TRUE(csr.ok());
    return *csr;
  }
  static tls::X509Ptr leafOf(const IssuedCertificate& issued) {
    auto certs = parseCertsPem(issued.chain_pem);
    EXPECT_TRUE(certs.ok());
    return std::move((*certs)[0]);
  }

  std::string dir_;
  CaOptions options_;
};

TEST_F(CaTest, CreatesPersistsAndReloadsTheSameRoot) {
  auto first = makeCa();
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(first->createdRoot());
  struct stat st {};
  ASSERT_EQ(stat((options_.ca_dir + "/root.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(options_.ca_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto pem = readFileToString(options_.ca_dir + "/root.pem");
  ASSERT_TRUE(pem.ok());
  EXPECT_EQ(first->trustBundlePem(), *pem);
  auto root = parseCertsPem(*pem);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(X509_check_ca((*root)[0].get()), 1);
  EXPECT_TRUE(isSelfSigned((*root)[0].get()));

  auto second = makeCa();
  ASSERT_NE(second, nullptr);
  EXPECT_FALSE(second->createdRoot());
  EXPECT_EQ(second->trustBundlePem(), first->trustBundlePem());
  // A certificate issued before the restart still verifies after it.
  auto issued = first->issueWorkload(csr(), "default", "web", 0, kNow);
  ASSERT_TRUE(issued.ok());
  auto id = second->verifyPeer(issued->chain_pem, "", kNow + absl::Seconds(1));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->toUri(), "spiffe://strait.local/ns/default/sa/web");
}

TEST_F(CaTest, RefusesAGroupReadableKey) {
  ASSERT_NE(makeCa(), nullptr);
  chmod((options_.ca_dir + "/root.key").c_str(), 0640);
  auto ca = CertificateAuthority::create(options_, kNow);
  ASSERT_FALSE(ca.ok());
  EXPECT_NE(ca.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(CaTest, IdentityComesFromTheCallerNotTheCsr) {
  auto ca = makeCa();
  auto issued = ca->issueWorkload(
      csr({"URI:spiffe://strait.local/ns/kube-system/sa/admin", "DNS:evil.example"}), "shop",
      "cart", 0, kNow);
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->spiffe_id, "spiffe://strait.local/ns/shop/sa/cart");
  tls::X509Ptr leaf = leafOf(*issued);
  EXPECT_EQ(uriSans(leaf.get()), std::vector<std::string>{issued->spiffe_id});
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(names, nullptr);
  EXPECT_EQ(sk_GENERAL_NAME_num(names), 1);  // no DNS name either
  GENERAL_NAMES_free(names);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(leaf.get()), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "cart");
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()), static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_EQ(issued->serial_hex.size(), 32u);  // 128 bits
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(leaf.get()), nullptr), -1);
}

TEST_F(CaTest, LifetimeIsCappedAndHasAFloor) {
  options_.max_ttl = absl::Hours(1);
  auto ca = makeCa();
  auto at = [&](int64_t ttl) {
    auto issued = ca->issueWorkload(csr(), "default", "web", ttl, kNow);
    EXPECT_TRUE(issued.ok());
    return issued->not_after_unix - absl::ToUnixSeconds(kNow);
  };
  EXPECT_EQ(at(0), 3600);
  EXPECT_EQ(at(60), 60);
  EXPECT_EQ(at(86400), 3600);
  EXPECT_EQ(at(-5), 3600);
  auto leaf = leafOf(*ca->issueWorkload(csr(), "default", "web", 60, kNow));
  struct tm tm {};
  ASSERT_EQ(ASN1_TIME_to_tm(X509_get0_notBefore(leaf.get()), &tm), 1);
  EXPECT_EQ(timegm(&tm), absl::ToUnixSeconds(kNow) - 5);
}

TEST_F(CaTest, RefusesACsrWithABadSignature) {
  auto ca = makeCa();
  // A CSR carrying key A but signed with key B: whoever sent it does not hold key A.
  auto key_a = generateP256Key();
  auto key_b = generateP256Key();
  std::string good = *buildCsrPem(key_a->get(), "web");
  tls::BioPtr in(BIO_new_mem_buf(good.data(), static_cast<int>(good.size())));
  tls::X509ReqPtr req(PEM_read_bio_X509_REQ(in.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(req, nullptr);
  ASSERT_GT(X509_REQ_sign(req.get(), key_b->get(), EVP_sha256()), 0);
  ASSERT_EQ(X509_REQ_set_pubkey(req.get(), key_a->get()), 1);
  tls::BioPtr out(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_X509_REQ(out.get(), req.get()), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  auto issued = ca->issueWorkload(std::string(data, len), "default", "web", 0, kNow);
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(issued.status().message().find("signature"), std::string::npos);
  EXPECT_FALSE(ca->issueWorkload("garbage", "default", "web", 0, kNow).ok());
}

TEST_F(CaTest, VerifyPeerRefusesExpiredAndForeignCertificates) {
  auto ca = makeCa();
  auto issued = ca->issueWorkload(csr(), "default", "web", 10, kNow);
  ASSERT_TRUE(issued.ok());
  EXPECT_TRUE(ca->verifyPeer(issued->chain_pem, "", kNow).ok());
  EXPECT_EQ(ca->verifyPeer(issued->chain_pem, "", kNow + absl::Seconds(11)).status().code(),
            absl::StatusCode::kUnauthenticated);
  CaOptions other = options_;
  other.ca_dir = dir_ + "/other";
  auto foreign = CertificateAuthority::create(other, kNow);
  ASSERT_TRUE(foreign.ok());
  auto alien = (*foreign)->issueWorkload(csr(), "default", "web", 0, kNow);
  EXPECT_EQ(ca->verifyPeer(alien->chain_pem, "", kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(CaTest, IntermediateChainIsReturnedAndTrustBundleCanHoldTwoRoots) {
  auto root = makeCa();
  // An intermediate signed by the root, loaded the --ca-cert/--ca-key way (file: the
  // intermediate then the root), plus a second root as --extra-trust-root.
  auto inter_key = generateP256Key();
  auto root_certs = parseCertsPem(root->trustBundlePem());
  auto root_key = parseKeyPem(*readFileToString(options_.ca_dir + "/root.key"));
  ASSERT_TRUE(root_key.ok());
  CertSpec spec;
  spec.common_name = "inter";
  spec.not_before = kNow - absl::Hours(1);
  spec.not_after = kNow + absl::Hours(100);
  spec.is_ca = true;
  auto inter = buildCertificate(spec, inter_key->get(), (*root_certs)[0].get(), root_key->get());
  ASSERT_TRUE(inter.ok()) << inter.status();
  std::string cert_file = dir_ + "/inter.pem", key_file = dir_ + "/inter.key";
  {
    FILE* f = fopen(cert_file.c_str(), "w");
    fputs((*certToPem(inter->get()) + root->trustBundlePem()).c_str(), f);
    fclose(f);
    f = fopen(key_file.c_str(), "w");
    fputs(keyToPem(inter_key->get())->c_str(), f);
    fclose(f);
  }
  CaOptions given = options_;
  given.ca_cert_file = cert_file;
  given.ca_key_file = key_file;
  CaOptions r2;
  r2.ca_dir = dir_ + "/r2";
  auto second_root = CertificateAuthority::create(r2, kNow);
  ASSERT_TRUE(second_root.ok());
  given.extra_trust_root_files = {dir_ + "/r2/root.pem"};
  auto ca = CertificateAuthority::create(given, kNow);
  ASSERT_TRUE(ca.ok()) << ca.status();
  EXPECT_EQ(parseCertsPem((*ca)->trustBundlePem())->size(), 2u);
  auto issued = (*ca)->issueWorkload(csr(), "default", "web", 0, kNow);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(parseCertsPem(issued->chain_pem)->size(), 2u);  // leaf + intermediate
  EXPECT_TRUE(root->verifyPeer(issued->chain_pem, issued->chain_pem, kNow).ok());
  EXPECT_TRUE((*ca)->verifyPeer(issued->chain_pem, "", kNow).ok());
}

}  // namespace
}  // namespace strait::ca
