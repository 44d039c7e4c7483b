// strait-fleet-sim: a simulated fleet of sidecars against one strait-control, for the fleet
// issue's figures (bench/fleet/fleet.sh runs it; bench/README.md has the results).
//
// What it measures, one JSON line per phase on stdout:
//  connect  N ADS streams (node "sim-<i>") opened at once over C connections: the time until
//           every stream received its first generation and wrote the ACK.
//  push     repeated --pushes times: the simulator takes t0, runs --trigger-cmd (which
//           changes the control plane's config file), and waits until every stream received
//           a version other than the one it had ACKed and wrote the ACK: all_acked_s is that
//           instant minus t0 (so it includes the control plane's ~100 ms file debounce).
//           Bytes received per sidecar, whole generations against deltas.
//  churn    --churn-rate endpoint changes per second for --duration: workloads (node
//           "churn-<j>", a 198.18/15 workload address, service --churn-service) connect and
//           ACK (an endpoint appears), and after --churn-lifetime report draining (it
//           leaves) and close once told endpoint_withdrawn. The window starts one lifetime
//           in, when departures balance arrivals. Per measured sidecar per second: responses
//           and bytes, whole against delta; the control plane's CPU per second.
//  versions / end   what the measured sidecars saw per version; errors of failed streams.
// With --control-pid, every phase also reports the control plane's CPU seconds (utime +
// stime from /proc/PID/stat over the phase), VmRSS, VmHWM and thread count.
//
// A simulated sidecar ACKs each response the moment it arrives and never parses or applies
// the generation (sim_response.proto): it measures the control plane's fan-out, not the
// sidecars' apply, and leaves the shared CPUs to the control plane. One process, gRPC's
// callback API (no thread per stream); every stream has a deadline and the run an overall
// --timeout, so it always exits on its own.
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bench/fleet/sim_fleet.h"
#include "common/flag_value.h"
#include "common/mutex_checks.h"

namespace {

constexpr const char* kUsage =
    "usage: strait-fleet-sim --target HOST:PORT [--sidecars N] [--channels C]\n"
    "         [--services a,b,... | --service-count K] [--no-delta] [--control-pid PID]\n"
    "         [--pushes K --trigger-cmd CMD] [--push-timeout D] [--settle D]\n"
    "         [--churn-rate R [--duration D] [--churn-lifetime D] [--churn-service S]]\n"
    "         [--timeout D]\n"
    "  --channels C       connections the streams share (default: one per sidecar)\n"
    "  --services         node.service of the sidecars, round robin (default web);\n"
    "                     --service-count K: svc0..svc<K-1>\n"
    "  --trigger-cmd CMD  run with /bin/sh for each push; {n} is replaced by the push number\n"
    "  --churn-rate R     endpoint changes per second (R/2 arrivals, R/2 departures)\n"
    "  durations: 10s, 500ms, 2m (a plain number is seconds); --timeout defaults to 120s\n";

bool parseDuration(const std::string& v, absl::Duration* d) {
  double seconds = 0;
  if (absl::SimpleAtod(v, &seconds)) {
    *d = absl::Seconds(seconds);
    return true;
  }
  return absl::ParseDuration(v, d);
}

bool setFlag(const std::string& flag, const std::string& v, strait::bench::SimOptions* o) {
  if (flag == "--target") o->target = v;
  else if (flag == "--sidecars") return absl::SimpleAtoi(v, &o->sidecars) && o->sidecars > 0;
  else if (flag == "--channels") return absl::SimpleAtoi(v, &o->channels) && o->channels >= 0;
  else if (flag == "--services") o->services = absl::StrSplit(v, ',', absl::SkipEmpty());
  else if (flag == "--service-count") {
    int k = 0;
    if (!absl::SimpleAtoi(v, &k) || k <= 0) return false;
    o->services.clear();
    for (int j = 0; j < k; ++j) o->services.push_back("svc" + std::to_string(j));
  }
  else if (flag == "--pushes") return absl::SimpleAtoi(v, &o->pushes);
  else if (flag == "--trigger-cmd") o->trigger_cmd = v;
  else if (flag == "--push-timeout") return parseDuration(v, &o->push_timeout);
  else if (flag == "--settle") return parseDuration(v, &o->settle);
  else if (flag == "--churn-rate") return absl::SimpleAtod(v, &o->churn_rate);
  else if (flag == "--churn-service") o->churn_service = v;
  else if (flag == "--churn-lifetime") return parseDuration(v, &o->churn_lifetime);
  else if (flag == "--duration") return parseDuration(v, &o->duration);
  else if (flag == "--control-pid") return absl::SimpleAtoi(v, &o->control_pid);
  else if (flag == "--timeout") return parseDuration(v, &o->timeout);
  else return false;
  return true;
}

// "--flag value" and "--flag=value"; --no-delta takes no value.
bool parseFlags(int argc, char** argv, strait::bench::SimOptions* o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--no-delta") {
      o->delta = false;
      continue;
    }
    std::string value;
    if (!strait::common::takeFlagValue(argc, argv, &i, &arg, &value)) return false;
    if (!setFlag(arg, value, o)) {
      std::cerr << "strait-fleet-sim: bad flag " << arg << std::endl;
      return false;
    }
  }
  return !o->target.empty() && !o->services.empty() && (o->pushes == 0 || !o->trigger_cmd.empty());
}

}  // namespace

int main(int argc, char** argv) {
  strait::common::releaseBuildMutexChecks();
  strait::bench::SimOptions options;
  if (!parseFlags(argc, argv, &options)) {
    std::cerr << kUsage;
    return 2;
  }
  strait::bench::FleetSim fleet(options);
  if (fleet.connect()) {
    for (int n = 1; n <= options.pushes && !fleet.timedOut(); ++n) fleet.push(n);
    fleet.churn();
  }
  fleet.finish();
  return fleet.timedOut() ? 1 : 0;
}
