// Per-listener connection and TLS handshake counters, kept with the listening socket (so
// across generations while the listener's address stays). Failures are counted by reason:
// OpenSSL's reason for the failed handshake ("tlsv1 alert unknown ca", "no shared cipher",
// "http request", ...; a finite table) normalised to a label, "connection_closed" for a
// client that went away mid-handshake, and at most kMaxReasons distinct ones ("other"
// beyond), so the series stay bounded whatever clients send.
// THREADS: any (relaxed atomics; the reasons map under its mutex, on failures only).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"

namespace strait::proxy {

class ListenerCounters {
 public:
  static constexpr size_t kMaxReasons = 32;

  std::atomic<uint64_t> connections{0};    // accepted
  std::atomic<uint64_t> tls_handshakes{0};  // completed

  // `reason`: the transport's failure text (see TransportSocket::failureReason).
  void tlsHandshakeFailed(const std::string& reason) {
    std::string label = reasonLabel(reason);
    absl::MutexLock lock(&mu_);
    if (failures_.size() >= kMaxReasons && failures_.count(label) == 0) label = "other";
    failures_[label]++;
  }
  std::map<std::string, uint64_t> tlsFailures() const {
    absl::MutexLock lock(&mu_);
    return failures_;
  }

  // "error:0A000418:SSL routines::tlsv1 alert unknown ca (…)" -> "tlsv1_alert_unknown_ca".
  static std::string reasonLabel(const std::string& reason) {
    if (reason.empty()) return "connection_closed";
    if (reason.rfind("syscall", 0) == 0) return "syscall";
    std::string r = reason.substr(0, reason.find(" ("));
    size_t colon = r.rfind(':');
    if (colon != std::string::npos) r = r.substr(colon + 1);
    std::string out;
    for (char c : r) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(c);
      else if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
      else if (!out.empty() && out.back() != '_') out.push_back('_');
      if (out.size() >= 64) break;
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out.empty() ? "unknown" : out;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::proxy
