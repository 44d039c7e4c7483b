#include "sidecar/tls/ticket_keys.h"

#include <gtest/gtest.h>

#include <cstring>

namespace strait::tls {
namespace {

TEST(TicketKeyRingTest, RotatesLazilyAndKeepsThePreviousKey) {
  absl::Time now = absl::FromUnixSeconds(1000);
  TicketKeyRing ring(absl::Hours(1), [&] { return now; });
  TicketKeyRing::Key first = ring.encryptionKey();
  TicketKeyRing::Key found;
  EXPECT_EQ(ring.decryptionKey(first.name, &found), TicketKeyRing::Lookup::kCurrent);
  EXPECT_EQ(std::memcmp(found.aes, first.aes, sizeof(first.aes)), 0);

  now += absl::Minutes(61);
  TicketKeyRing::Key second = ring.encryptionKey();
  EXPECT_NE(std::memcmp(first.name, second.name, sizeof(first.name)), 0);
  EXPECT_EQ(ring.decryptionKey(first.name, &found), TicketKeyRing::Lookup::kPrevious);
  EXPECT_EQ(ring.decryptionKey(second.name, &found), TicketKeyRing::Lookup::kCurrent);

  now += absl::Minutes(61);
  EXPECT_EQ(ring.decryptionKey(first.name, &found), TicketKeyRing::Lookup::kUnknown);
  EXPECT_EQ(ring.decryptionKey(second.name, &found), TicketKeyRing::Lookup::kPrevious);
}

}  // namespace
}  // namespace strait::tls
