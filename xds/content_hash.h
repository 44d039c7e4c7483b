// Identity by content, shared by the control plane (version hashes) and the sidecar (reusing
// what the previous generation compiled from a message of the same content).
//
// deterministicBytes: the message's deterministic serialization (map entries sorted): equal
// messages give equal bytes, and equal bytes parse to equal messages, so it serves as an
// exact identity compared byte for byte; a few ms for 100,000 routes, far below compiling
// them (a reflective MessageDifferencer walk is slower still).
// contentHash: 16 hex digits (64 bits) of the SHA-256 of those bytes: the same content has
// the same hash in every process, every replica and every build (std::hash promises none of
// that), and sidecars may take an equal hash for equal content (xds/subscription.h).
// THREADS: any (pure functions).
#pragma once

#include <string>
#include <string_view>

#include "google/protobuf/message.h"

namespace strait::xds {

std::string deterministicBytes(const google::protobuf::Message& message);
std::string contentHash(const google::protobuf::Message& message);
// The same hash of bytes already serialized (or of several messages' bytes concatenated).
std::string contentHashOfBytes(std::string_view bytes);

}  // namespace strait::xds
