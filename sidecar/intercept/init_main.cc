// strait-init: installs a pod's interception rules (see nft_rules.h) by piping them to
// `nft -f -` (nftables' own tool: the kernel interface stays nftables' business). Run once
// per network namespace with CAP_NET_ADMIN, before the app starts (a Kubernetes init
// container); the sidecar itself needs no privilege.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "sidecar/intercept/nft_rules.h"

namespace {

// Runs `nft -f -` with `script` on its stdin; its exit status (or -1 if it could not run).
int runNft(const std::string& script) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    close(fds[1]);
    execlp("nft", "nft", "-f", "-", static_cast<char*>(nullptr));
    fprintf(stderr, "strait-init: cannot run nft: %s\n", strerror(errno));
    _exit(127);
  }
  close(fds[0]);
  size_t off = 0;
  while (off < script.size()) {
    ssize_t n = write(fds[1], script.data() + off, script.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(fds[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  using strait::intercept::InitAction;
  std::vector<std::string> args(argv + 1, argv + argc);
  InitAction action;
  auto options = strait::intercept::parseInterceptFlags(args, &action);
  if (!options.ok()) {
    fprintf(stderr, "strait-init: %s\n%s", std::string(options.status().message()).c_str(),
            strait::intercept::interceptUsage().c_str());
    return 2;
  }
  if (action == InitAction::kHelp) {
    fputs(strait::intercept::interceptUsage().c_str(), stdout);
    return 0;
  }
  std::string script = action == InitAction::kRemove ? strait::intercept::nftRemoveScript(*options)
                                                     : strait::intercept::nftRuleset(*options);
  if (action == InitAction::kPrint) {
    fputs(script.c_str(), stdout);
    return 0;
  }
  int rc = runNft(script);
  if (rc != 0) {
    fprintf(stderr, "strait-init: nft failed (exit %d); the rules were:\n%s", rc, script.c_str());
    return 1;
  }
  fprintf(stderr, "strait-init: %s table inet %s\n", action == InitAction::kRemove ? "removed" : "installed",
          options->table.c_str());
  return 0;
}
