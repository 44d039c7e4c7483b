// straitctl subcommands. Each returns the process exit code and prints to stdout/stderr.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace strait::ctl {

// `straitctl validate DIR`: loads DIR exactly like strait-control does.
int validate(const std::string& dir);

// How straitctl reaches strait-control.
struct ControlTarget {
  std::string address = "127.0.0.1:18000";  // --control HOST:PORT
  std::string ca_file;                       // --ca-file: TLS verified with these roots;
                                             // empty: plaintext (strait-control --plaintext)
  std::string server_name = "strait-control";  // --server-name: name expected in its cert
  std::string token_file;  // --token-file: the operator token (strait-control's
                           // <ca-dir>/operator.token); default $STRAIT_OPERATOR_TOKEN_FILE,
                           // else ./strait-ca/operator.token
};

// `straitctl [--control HOST:PORT] [--ca-file FILE] status`: the served version and every
// known sidecar.
int status(const ControlTarget& target);

// `straitctl [...] status --watch [--interval D] [--until-converged [--timeout D]]`: polls
// every `interval` and prints (time-stamped) the served version, the config refusal and the
// status line of each sidecar whenever one of them changes, with a rollout summary, until
// interrupted. With --until-converged (implies --watch): exits 0 once every connected
// sidecar has ACKed the served version, 1 (with the laggards named) after `timeout`.
struct WatchOptions {
  absl::Duration interval = absl::Milliseconds(500);  // --interval
  bool until_converged = false;                       // --until-converged
  absl::Duration timeout = absl::Seconds(60);         // --timeout (with --until-converged)
};
int statusWatch(const ControlTarget& target, const WatchOptions& options);

// `straitctl [...] hosts`: the mesh services' virtual addresses as /etc/hosts lines
// ("VIP name [name.namespace name.namespace.svc]"), for a pod whose app calls services by name.
int hosts(const ControlTarget& target);

}  // namespace strait::ctl
