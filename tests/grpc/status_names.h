// gRPC status code names as the spec spells them ("DEADLINE_EXCEEDED"); gRPC C++ has no
// public function for this. Pure functions, any thread.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <optional>
#include <string>

namespace strait::grpctest {

// "OK" ... "UNAUTHENTICATED"; "CODE_<n>" for a value outside the spec.
std::string statusCodeName(grpc::StatusCode code);

// Accepts a name (any case) or a number 0..16; nullopt otherwise.
std::optional<grpc::StatusCode> parseStatusCode(const std::string& text);

}  // namespace strait::grpctest
