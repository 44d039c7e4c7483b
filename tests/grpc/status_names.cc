#include "tests/grpc/status_names.h"

#include <cctype>
#include <cstdlib>

namespace strait::grpctest {
namespace {

// Indexed by code value (0..16), as in grpc/doc/statuscodes.md.
constexpr const char* kNames[] = {
    "OK",                "CANCELLED",      "UNKNOWN",          "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED", "NOT_FOUND",      "ALREADY_EXISTS",   "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",    "OUT_OF_RANGE",
    "UNIMPLEMENTED",     "INTERNAL",       "UNAVAILABLE",      "DATA_LOSS",
    "UNAUTHENTICATED"};
constexpr int kCodeCount = sizeof(kNames) / sizeof(kNames[0]);

}  // namespace

std::string statusCodeName(grpc::StatusCode code) {
  int n = static_cast<int>(code);
  if (n < 0 || n >= kCodeCount) return "CODE_" + std::to_string(n);
  return kNames[n];
}

std::optional<grpc::StatusCode> parseStatusCode(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  long n = std::strtol(text.c_str(), &end, 10);
  if (*end == '\0') {
    if (n < 0 || n >= kCodeCount) return std::nullopt;
    return static_cast<grpc::StatusCode>(n);
  }
  std::string upper;
  for (char c : text) {
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  for (int i = 0; i < kCodeCount; ++i) {
    if (upper == kNames[i]) return static_cast<grpc::StatusCode>(i);
  }
  return std::nullopt;
}

}  // namespace strait::grpctest
