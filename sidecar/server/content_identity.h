// Identity by content for compiled config objects: a generation reuses what the previous one
// compiled from a message of the same content (route tables) instead of compiling it again.
// The identity is the message's deterministic serialization itself, compared byte for byte:
// exact, and a few ms for 100,000 routes, far below compiling them (a reflective
// MessageDifferencer walk is slower still). The compiled object keeps its bytes (a few MB
// for 100,000 routes, a small part of what compiling them allocates).
// THREADS: any (a pure function).
#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace strait::server {

// Equal messages give equal bytes (deterministic: map entries sorted); equal bytes parse to
// equal messages, so whatever was compiled from one serves for the other.
std::string contentIdentity(const google::protobuf::Message& message);

}  // namespace strait::server
