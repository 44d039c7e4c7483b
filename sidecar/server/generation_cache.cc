#include "sidecar/server/generation_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace strait::server {
namespace {

absl::Status errnoStatus(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

bool writeAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::Status saveGeneration(const std::string& path, const std::string& version, const strait::v1::Generation& gen) {
  strait::v1::CachedGeneration cached;
  cached.set_version(version);
  *cached.mutable_generation() = gen;
  std::string data;
  if (!cached.SerializeToString(&data)) return absl::InternalError("generation cache: cannot serialise");
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errnoStatus("generation cache: open " + tmp);
  bool ok = writeAll(fd, data) && ::fsync(fd) == 0;
  int saved_errno = errno;
  ::close(fd);
  errno = saved_errno;
  if (!ok) return errnoStatus("generation cache: write " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errnoStatus("generation cache: rename to " + path);
  // The rename itself survives a crash once the directory is synced.
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

absl::StatusOr<strait::v1::CachedGeneration> loadGeneration(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(path + ": no cached generation yet");
    return errnoStatus("generation cache: open " + path);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  strait::v1::CachedGeneration cached;
  if (!cached.ParseFromString(buf.str()) || cached.version().empty()) {
    return absl::DataLossError(path + ": not a cached generation (ignored)");
  }
  return cached;
}

}  // namespace strait::server
