// Thread nice values (see thread_priority.h).
#include "common/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace strait::common {

absl::Status lowerThreadPriority(int nice_delta) {
  // PRIO_PROCESS with a thread id sets that thread's nice value only (Linux).
  auto tid = static_cast<id_t>(gettid());
  errno = 0;
  int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0 || setpriority(PRIO_PROCESS, tid, current + nice_delta) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("setpriority: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace strait::common
