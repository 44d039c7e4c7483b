// `straitctl status --watch`: follows a rollout by polling the management API. The pure
// part (what changed between two polls, whether the rollout converged) is here for tests;
// the loop is statusWatch() in commands.h.
// THREADS: plain functions, no state.
#pragma once

#include <string>
#include <vector>

#include "control/straitctl/management_client.h"

namespace strait::ctl {

// The lines to print for the step from `before` (nullptr: the first poll, everything is
// new) to `after`: "serving version V" when the version changed, the refusal line (or
// "config refusal cleared") when it changed, and the status line of every sidecar whose
// state changed (connected, sent, acked, nacked, refused) or that appeared.
std::vector<std::string> statusChanges(const StatusSnapshot* before, const StatusSnapshot& after);

// Whether every connected sidecar has ACKed the served version (vacuously true with none).
bool converged(const StatusSnapshot& snap);

// "N/M connected sidecars acked V" and, if some lag, which and where they are.
std::string rolloutSummary(const StatusSnapshot& snap);

}  // namespace strait::ctl
