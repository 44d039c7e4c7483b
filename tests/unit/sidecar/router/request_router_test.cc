// The client address a listener trusts (router/request_router.h trustedClientAddress).
#include <gtest/gtest.h>

#include "sidecar/router/request_router.h"

namespace strait::proxy {
namespace {

http::HeaderMap xff(std::initializer_list<const char*> fields) {
  http::HeaderMap h;
  for (const char* f : fields) h.add("x-forwarded-for", f);
  return h;
}

TEST(TrustedClientAddress, NoTrustedHopsBelievesNothing) {
  EXPECT_EQ(trustedClientAddress(xff({"203.0.113.5"}), "127.0.0.1", 0), "127.0.0.1");
  EXPECT_EQ(trustedClientAddress(http::HeaderMap(), "127.0.0.1", 0), "127.0.0.1");
}

TEST(TrustedClientAddress, TakesTheEntryAppendedByTheOutermostTrustedProxy) {
  // One trusted proxy: it appended the address it saw, the rightmost entry; what the client
  // itself wrote before that is not believed.
  EXPECT_EQ(trustedClientAddress(xff({"10.9.9.9, 198.51.100.7"}), "127.0.0.1", 1), "198.51.100.7");
  EXPECT_EQ(trustedClientAddress(xff({"10.9.9.9, 198.51.100.7, 192.0.2.1"}), "127.0.0.1", 2), "198.51.100.7");
  // Several fields count in order, with optional whitespace.
  EXPECT_EQ(trustedClientAddress(xff({"10.9.9.9", " 198.51.100.7 ,\t192.0.2.1"}), "127.0.0.1", 2), "198.51.100.7");
  EXPECT_EQ(trustedClientAddress(xff({"2001:db8::7"}), "::1", 1), "2001:db8::7");
}

TEST(TrustedClientAddress, TooFewEntriesOrGarbageFallBackToThePeer) {
  EXPECT_EQ(trustedClientAddress(xff({"198.51.100.7"}), "127.0.0.1", 2), "127.0.0.1");
  EXPECT_EQ(trustedClientAddress(http::HeaderMap(), "127.0.0.1", 1), "127.0.0.1");
  EXPECT_EQ(trustedClientAddress(xff({"not-an-ip"}), "127.0.0.1", 1), "127.0.0.1");
  EXPECT_EQ(trustedClientAddress(xff({"198.51.100.7:443"}), "127.0.0.1", 1), "127.0.0.1");
}

}  // namespace
}  // namespace strait::proxy
