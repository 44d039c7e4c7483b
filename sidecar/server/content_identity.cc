#include "sidecar/server/content_identity.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace strait::server {

std::string contentIdentity(const google::protobuf::Message& message) {
  std::string bytes(message.ByteSizeLong(), '\0');  // also caches the sizes written below
  google::protobuf::io::ArrayOutputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
  return bytes;
}

}  // namespace strait::server
