#include "sidecar/filters/waf/audit_log.h"

#include <atomic>

#include "sidecar/accesslog/log_file.h"

namespace strait::filters::waf {
namespace {

// Set once by configure() before the workers start (the file itself is never closed before
// exit: see LogFile).
std::atomic<accesslog::LogFile*> g_file{nullptr};

}  // namespace

absl::Status AuditLog::configure(const std::string& path, uint64_t max_bytes) {
  if (path.empty()) return absl::OkStatus();
  if (max_bytes == 0) max_bytes = 64ull << 20;
  if (max_bytes < (64u << 10)) return absl::InvalidArgumentError("waf_audit_log.max_bytes: at least 65536");
  auto file = accesslog::LogFile::open("waf audit log", path, max_bytes);
  if (!file.ok()) return file.status();
  g_file.store(file->get(), std::memory_order_release);
  return absl::OkStatus();
}

void AuditLog::shutdown() { accesslog::LogFile::shutdownAll(); }

bool AuditLog::enabled() { return g_file.load(std::memory_order_acquire) != nullptr; }

void AuditLog::write(std::string line) {
  if (accesslog::LogFile* f = g_file.load(std::memory_order_acquire)) f->write(line);
}

uint64_t AuditLog::written() {
  accesslog::LogFile* f = g_file.load(std::memory_order_acquire);
  return f ? f->written() : 0;
}

uint64_t AuditLog::dropped() {
  accesslog::LogFile* f = g_file.load(std::memory_order_acquire);
  return f ? f->dropped() : 0;
}

}  // namespace strait::filters::waf
