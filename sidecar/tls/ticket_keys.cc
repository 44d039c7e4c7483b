#include "sidecar/tls/ticket_keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

namespace strait::tls {
namespace {
void randomKey(TicketKeyRing::Key* key) {
  // Without randomness no ticket could be trusted: crash on the impossible.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key), sizeof(*key)) != 1) std::abort();
}
}  // namespace

TicketKeyRing::TicketKeyRing(absl::Duration interval, std::function<absl::Time()> now)
    : interval_(interval), now_(std::move(now)) {
  absl::MutexLock lock(&mu_);
  randomKey(&current_);
  rotated_at_ = now_();
}

TicketKeyRing::~TicketKeyRing() {
  absl::MutexLock lock(&mu_);
  OPENSSL_cleanse(&current_, sizeof(current_));
  OPENSSL_cleanse(&previous_, sizeof(previous_));
}

void TicketKeyRing::rotateIfDueLocked() {
  absl::Time now = now_();
  if (now - rotated_at_ < interval_) return;
  previous_ = current_;
  has_previous_ = true;
  randomKey(&current_);
  rotated_at_ = now;
}

TicketKeyRing::Key TicketKeyRing::encryptionKey() {
  absl::MutexLock lock(&mu_);
  rotateIfDueLocked();
  return current_;
}

TicketKeyRing::Lookup TicketKeyRing::decryptionKey(const unsigned char name[16], Key* out) {
  absl::MutexLock lock(&mu_);
  rotateIfDueLocked();
  if (std::memcmp(name, current_.name, sizeof(current_.name)) == 0) {
    *out = current_;
    return Lookup::kCurrent;
  }
  if (has_previous_ && std::memcmp(name, previous_.name, sizeof(previous_.name)) == 0) {
    *out = previous_;
    return Lookup::kPrevious;
  }
  return Lookup::kUnknown;
}

}  // namespace strait::tls
