// The management API's operator credential: a bearer token (`authorization: Bearer <token>`)
// that only operators hold. strait-control reads it from --operator-token-file, or creates a
// random one (256 bits, mode 0600) at <ca-dir>/operator.token on first start, so the API is
// closed by default; straitctl sends the same file's token (--token-file).
// THREADS: loadOrCreate at start; check() from any gRPC thread (the token is immutable).
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class ServerContext;
}

namespace strait::control {

// The token in `path` (surrounding whitespace trimmed), or a new one written there.
absl::StatusOr<std::string> loadOrCreateOperatorToken(const std::string& path);

// OK when `context` carries `authorization: Bearer <token>` (compared in constant time);
// else UNAUTHENTICATED with a reason fit for the caller.
absl::Status checkOperatorToken(const grpc::ServerContext& context, const std::string& token);

}  // namespace strait::control
