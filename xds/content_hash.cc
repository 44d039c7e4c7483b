// Content identity and hashes (see content_hash.h).
#include "xds/content_hash.h"

#include <openssl/sha.h>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace strait::xds {

std::string deterministicBytes(const google::protobuf::Message& message) {
  std::string bytes(message.ByteSizeLong(), '\0');  // also caches the sizes written below
  google::protobuf::io::ArrayOutputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
  return bytes;
}

std::string contentHashOfBytes(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(16, '0');
  for (int i = 0; i < 8; i++) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string contentHash(const google::protobuf::Message& message) {
  return contentHashOfBytes(deterministicBytes(message));
}

}  // namespace strait::xds
