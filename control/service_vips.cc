// Service address assignment (see service_vips.h).
#include "control/service_vips.h"

#include <arpa/inet.h>
#include <openssl/sha.h>

#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strait::control {
namespace {

// Parses an IP literal into 16 bytes (IPv4 in the first 4); the family, or 0.
int parseIp(const std::string& ip, std::array<uint8_t, 16>* out) {
  out->fill(0);
  if (inet_pton(AF_INET, ip.c_str(), out->data()) == 1) return AF_INET;
  if (inet_pton(AF_INET6, ip.c_str(), out->data()) == 1) return AF_INET6;
  return 0;
}

uint64_t hashOf(const std::string& key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  uint64_t h = 0;
  for (int i = 0; i < 8; i++) h = (h << 8) | digest[i];
  return h;
}

}  // namespace

absl::StatusOr<ServiceVips> ServiceVips::create(const std::string& cidr) {
  size_t slash = cidr.find('/');
  int prefix = -1;
  ServiceVips v;
  if (slash != std::string::npos) {
    v.family_ = parseIp(cidr.substr(0, slash), &v.base_);
    if (!absl::SimpleAtoi(cidr.substr(slash + 1), &prefix)) prefix = -1;
  }
  int bits = v.family_ == AF_INET ? 32 : 128;
  if (v.family_ == 0 || prefix < 0 || prefix > bits) {
    return absl::InvalidArgumentError(
        absl::StrCat("service range '", cidr, "' is not an IP range such as 240.240.0.0/16"));
  }
  if (bits - prefix < 2) {
    return absl::InvalidArgumentError(absl::StrCat("service range '", cidr, "' has fewer than 4 addresses"));
  }
  // Clear the host bits of the base.
  int nbytes = bits / 8;
  for (int i = 0; i < nbytes; i++) {
    int keep = std::min(8, std::max(0, prefix - i * 8));
    v.base_[i] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  v.host_bits_ = std::min(62, bits - prefix);
  return v;
}

std::string ServiceVips::at(uint64_t offset) const {
  std::array<uint8_t, 16> a = base_;
  int last = family_ == AF_INET ? 3 : 15;
  for (int i = last; i >= 0 && offset != 0; i--) {  // host bits are zero: no carry out of them
    offset += a[i];
    a[i] = static_cast<uint8_t>(offset & 0xff);
    offset >>= 8;
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family_, a.data(), text, sizeof(text));
  return text;
}

int64_t ServiceVips::offsetOf(const std::string& ip) const {
  std::array<uint8_t, 16> a;
  if (parseIp(ip, &a) != family_) return -1;
  int nbytes = family_ == AF_INET ? 4 : 16;
  // Every byte above the low 8 must equal the base's; the low 8 give the offset.
  uint64_t offset = 0, base = 0;
  for (int i = 0; i < nbytes; i++) {
    if (i < nbytes - 8) {
      if (a[i] != base_[i]) return -1;
    } else {
      offset = (offset << 8) | a[i];
      base = (base << 8) | base_[i];
    }
  }
  uint64_t size = uint64_t{1} << host_bits_;
  if (offset < base || offset - base >= size) return -1;
  return static_cast<int64_t>(offset - base);
}

int ServiceVips::assign(strait::v1::Generation* gen) const {
  using Key = std::pair<std::string, std::string>;  // namespace, name
  std::map<Key, std::string> vip;                    // pinned or assigned
  std::set<Key> services;
  for (const auto& c : gen->clusters()) {
    if (c.type() != strait::v1::Cluster::SERVICE) continue;
    Key key{c.service_namespace(), c.service()};
    services.insert(key);
    if (!c.service_vip().empty()) vip.emplace(key, c.service_vip());
  }
  if (services.empty()) return 0;
  std::set<uint64_t> taken;
  for (const auto& [key, ip] : vip) {
    if (int64_t o = offsetOf(ip); o >= 0) taken.insert(static_cast<uint64_t>(o));
  }
  const uint64_t usable = (uint64_t{1} << host_bits_) - 2;  // offsets 1..usable
  int unassigned = 0;
  for (const Key& key : services) {
    if (vip.count(key) != 0) continue;
    if (taken.size() >= usable) {
      unassigned++;
      continue;
    }
    uint64_t o = 1 + hashOf(absl::StrCat(key.first, "/", key.second)) % usable;
    while (taken.count(o) != 0) o = o == usable ? 1 : o + 1;
    taken.insert(o);
    vip[key] = at(o);
  }
  for (auto& c : *gen->mutable_clusters()) {
    if (c.type() != strait::v1::Cluster::SERVICE || !c.service_vip().empty()) continue;
    auto it = vip.find({c.service_namespace(), c.service()});
    if (it != vip.end()) c.set_service_vip(it->second);
  }
  return unassigned;
}

}  // namespace strait::control
