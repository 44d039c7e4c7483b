// `straitctl status --watch` (see status_watch.h and commands.h).
#include "control/straitctl/status_watch.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "control/straitctl/commands.h"

namespace strait::ctl {
namespace {

bool sameState(const strait::v1::SidecarStatus& a, const strait::v1::SidecarStatus& b) {
  return a.connected() == b.connected() && a.last_sent_version() == b.last_sent_version() &&
         a.last_acked_version() == b.last_acked_version() && a.last_nacked_version() == b.last_nacked_version() &&
         a.last_nack_message() == b.last_nack_message() && a.refused() == b.refused();
}

std::map<std::string, const strait::v1::SidecarStatus*> byNode(const StatusSnapshot& snap) {
  std::map<std::string, const strait::v1::SidecarStatus*> out;
  for (const auto& s : snap.sidecars.sidecars()) out[s.node_id()] = &s;
  return out;
}

std::string stamp() { return absl::FormatTime("%H:%M:%E3S ", absl::Now(), absl::LocalTimeZone()); }

void print(const std::vector<std::string>& lines) {
  std::string at = stamp();
  for (const auto& line : lines) std::cout << at << line << "\n";
  std::cout << std::flush;
}

}  // namespace

std::vector<std::string> statusChanges(const StatusSnapshot* before, const StatusSnapshot& after) {
  std::vector<std::string> lines;
  if (before == nullptr || before->config.version() != after.config.version()) {
    lines.push_back(absl::StrCat("serving version ", after.config.version()));
  }
  std::string refused = refusalLine(after.config);
  if (before == nullptr ? !refused.empty() : refused != refusalLine(before->config)) {
    lines.push_back(refused.empty() ? "config refusal cleared" : refused);
  }
  auto old = before == nullptr ? std::map<std::string, const strait::v1::SidecarStatus*>() : byNode(*before);
  for (const auto& s : after.sidecars.sidecars()) {
    auto it = old.find(s.node_id());
    if (it == old.end() || !sameState(*it->second, s)) lines.push_back(sidecarLine(s));
  }
  return lines;
}

bool converged(const StatusSnapshot& snap) {
  for (const auto& s : snap.sidecars.sidecars()) {
    if (s.connected() && s.last_acked_version() != snap.config.version()) return false;
  }
  return true;
}

std::string rolloutSummary(const StatusSnapshot& snap) {
  size_t connected = 0, acked = 0;
  std::vector<std::string> lagging;
  for (const auto& s : snap.sidecars.sidecars()) {
    if (!s.connected()) continue;
    ++connected;
    if (s.last_acked_version() == snap.config.version()) {
      ++acked;
    } else if (!s.last_nacked_version().empty()) {
      lagging.push_back(absl::StrCat(s.node_id(), " (nacked ", s.last_nacked_version(), ")"));
    } else {
      lagging.push_back(absl::StrCat(s.node_id(), " (acked ", s.last_acked_version().empty() ? "-" : s.last_acked_version(), ")"));
    }
  }
  std::string out = absl::StrCat(acked, "/", connected, " connected sidecars acked ", snap.config.version());
  if (!lagging.empty()) absl::StrAppend(&out, "; waiting for ", absl::StrJoin(lagging, ", "));
  return out;
}

int statusWatch(const ControlTarget& target, const WatchOptions& options) {
  auto client = ManagementClient::create(target);
  if (client == nullptr) return 1;
  absl::Time deadline = options.until_converged ? absl::Now() + options.timeout : absl::InfiniteFuture();
  std::unique_ptr<StatusSnapshot> last;
  std::string last_error;
  for (;;) {
    auto snap = std::make_unique<StatusSnapshot>();
    absl::Status st = client->fetchStatus(snap.get());
    if (!st.ok()) {
      // The control plane may be restarting: say so once, keep polling.
      if (std::string(st.message()) != last_error) print({absl::StrCat("cannot reach ", target.address, ": ", st.message())});
      last_error = std::string(st.message());
    } else {
      last_error.clear();
      if (auto lines = statusChanges(last.get(), *snap); !lines.empty()) {
        lines.push_back(absl::StrCat("rollout: ", rolloutSummary(*snap)));
        print(lines);
      }
      last = std::move(snap);
      if (options.until_converged && converged(*last)) {
        print({absl::StrCat("converged: ", rolloutSummary(*last))});
        return 0;
      }
    }
    absl::Time now = absl::Now();
    if (now >= deadline) {
      std::cerr << "straitctl: not converged within " << absl::FormatDuration(options.timeout) << ": "
                << (last ? rolloutSummary(*last) : absl::StrCat("cannot reach ", target.address)) << std::endl;
      return 1;
    }
    absl::SleepFor(std::min(options.interval, deadline - now));
  }
}

}  // namespace strait::ctl
