#include "sidecar/filters/access_control/cidr.h"

#include <gtest/gtest.h>

namespace strait::filters {
namespace {

bool in(const std::string& cidr, const std::string& ip) {
  auto range = CidrRange::parse(cidr);
  EXPECT_TRUE(range.ok()) << cidr << ": " << range.status();
  IpAddress addr;
  EXPECT_TRUE(IpAddress::parse(ip, &addr)) << ip;
  return range.ok() && range->contains(addr);
}

TEST(Cidr, Ipv4Blocks) {
  EXPECT_TRUE(in("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(in("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(in("192.168.1.128/25", "192.168.1.200"));
  EXPECT_FALSE(in("192.168.1.128/25", "192.168.1.127"));
  EXPECT_TRUE(in("0.0.0.0/0", "8.8.8.8"));
  EXPECT_TRUE(in("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(in("127.0.0.1", "127.0.0.2"));
  EXPECT_TRUE(in("172.16.0.0/12", "172.31.255.255"));
  EXPECT_FALSE(in("172.16.0.0/12", "172.32.0.0"));
}

TEST(Cidr, Ipv6BlocksAndMappedAddresses) {
  EXPECT_TRUE(in("2001:db8::/32", "2001:db8:1::5"));
  EXPECT_FALSE(in("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(in("::1", "::1"));
  EXPECT_TRUE(in("::/0", "fe80::1"));
  EXPECT_FALSE(in("::/0", "1.2.3.4"));        // families never mix
  EXPECT_FALSE(in("0.0.0.0/0", "::1"));
  EXPECT_TRUE(in("10.0.0.0/8", "::ffff:10.1.2.3"));  // IPv4-mapped compares as IPv4
  EXPECT_TRUE(in("fe80::/10", "febf::1"));
  EXPECT_FALSE(in("fe80::/10", "fec0::1"));
}

TEST(Cidr, BadBlocksAreRefused) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "10.1.0.0/8", "::1/129",
                          "2001:db8::1/32", "", "host/8", "10.0.0.0/+8"}) {
    EXPECT_FALSE(CidrRange::parse(bad).ok()) << bad;
  }
  IpAddress a;
  EXPECT_FALSE(IpAddress::parse("", &a));
  EXPECT_FALSE(IpAddress::parse("1.2.3.4:80", &a));
}

}  // namespace
}  // namespace strait::filters
