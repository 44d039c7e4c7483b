#include "control/operator_auth.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace strait::control {

absl::StatusOr<std::string> loadOrCreateOperatorToken(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::stringstream buf;
    buf << in.rdbuf();
    std::string token(absl::StripAsciiWhitespace(buf.str()));
    if (token.size() < 16) return absl::InvalidArgumentError(path + ": operator token shorter than 16 characters");
    return token;
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return absl::InternalError("operator token: no randomness");
  std::string token = absl::BytesToHexString(std::string(reinterpret_cast<char*>(raw), sizeof(raw)));
  OPENSSL_cleanse(raw, sizeof(raw));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("operator token: create ", path, ": ", std::strerror(errno)));
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) return absl::InternalError("operator token: write " + path);
  return token;
}

absl::Status checkOperatorToken(const grpc::ServerContext& context, const std::string& token) {
  auto it = context.client_metadata().find("authorization");
  if (it == context.client_metadata().end()) {
    return absl::UnauthenticatedError(
        "the management API needs the operator token: straitctl --token-file <ca-dir>/operator.token");
  }
  std::string_view value(it->second.data(), it->second.size());
  std::string_view prefix = "Bearer ";
  std::string_view given = value.substr(0, prefix.size()) == prefix ? value.substr(prefix.size()) : "";
  if (given.size() != token.size() || CRYPTO_memcmp(given.data(), token.data(), token.size()) != 0) {
    return absl::UnauthenticatedError("wrong operator token");
  }
  return absl::OkStatus();
}

}  // namespace strait::control
