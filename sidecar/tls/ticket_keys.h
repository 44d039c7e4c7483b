// Session-ticket keys of one listener: a current key that encrypts new tickets and the
// previous one that still decrypts (tickets it decrypts are renewed). Rotated lazily: the
// first ticket operation after `interval` has passed makes a new current key, so nothing
// runs on a timer and no worker ever waits on more than one tiny critical section.
// THREADS: any thread (the handshakes of every worker); one mutex, held for a key copy.
// SECRECY: keys live only in memory, are never logged and are wiped on destruction.
#pragma once

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace strait::tls {

class TicketKeyRing {
 public:
  struct Key {
    unsigned char name[16];  // identifies the key in a ticket
    unsigned char aes[32];   // AES-256-CBC key
    unsigned char hmac[32];  // HMAC-SHA256 key
  };
  // What a ticket's key name resolved to.
  enum class Lookup { kUnknown, kCurrent, kPrevious };

  explicit TicketKeyRing(absl::Duration interval, std::function<absl::Time()> now = [] { return absl::Now(); });
  ~TicketKeyRing();

  // The key for a new ticket (rotating first if due).
  Key encryptionKey() ABSL_LOCKS_EXCLUDED(mu_);
  // The key a ticket named `name` was made with.
  Lookup decryptionKey(const unsigned char name[16], Key* out) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void rotateIfDueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration interval_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  Key current_ ABSL_GUARDED_BY(mu_);
  Key previous_ ABSL_GUARDED_BY(mu_);
  bool has_previous_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time rotated_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::tls
