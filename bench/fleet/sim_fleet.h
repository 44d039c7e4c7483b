// The simulated fleet of strait-fleet-sim (see fleet_sim.cc for what it measures): N
// sidecars' ADS streams over C channels (C distinct TCP connections), the phases of a run
// (connect, pushes, churn), and one JSON line per phase on stdout.
// LIFE: one per process. The destructor cancels every stream and waits (bounded) until gRPC
// is done with them; if gRPC does not let go in time it ends the process (the output is
// already written), so the simulator always exits on its own.
// THREADS: everything here on the main thread; the streams report to FleetStats from gRPC's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/fleet/fleet_stats.h"
#include "bench/fleet/sim_stream.h"

namespace strait::bench {

struct SimOptions {
  std::string target;                     // strait-control's ADS address, plaintext
  int sidecars = 1000;                    // measured streams
  int channels = 0;                       // connections; 0: one per sidecar
  std::vector<std::string> services = {"web"};  // node.service, round robin
  bool delta = true;                      // client feature strait.generation_delta
  int pushes = 0;                         // after connecting, this many pushes ...
  std::string trigger_cmd;                // ... each running this ("{n}": the push number)
  absl::Duration push_timeout = absl::Seconds(60);
  absl::Duration settle = absl::Milliseconds(500);  // after a push, before sampling the control plane
  double churn_rate = 0;                  // endpoint changes per second (0: no churn phase)
  std::string churn_service = "svc0";     // a service with a SERVICE cluster
  absl::Duration churn_lifetime = absl::Seconds(2);  // a churn workload drains this long after it arrives
  absl::Duration duration = absl::Seconds(10);       // churn: the measured window
  int control_pid = 0;                    // strait-control's PID, for CPU and memory (0: none)
  absl::Duration timeout = absl::Seconds(120);       // the whole run
};

// strait-control's CPU time and memory from /proc (-1 where unknown), with the simulator's
// own CPU time and the whole machine's busy time: the rest is other work on the shared CPUs.
struct ProcSample {
  double cpu_s = -1;    // utime + stime, all threads
  double rss_mib = -1;  // VmRSS
  double hwm_mib = -1;  // VmHWM (peak RSS)
  int threads = -1;
  double sim_cpu_s = -1;       // this process
  double machine_busy_s = -1;  // /proc/stat: every CPU's non-idle time
};
ProcSample sampleProc(int pid);

class FleetSim {
 public:
  explicit FleetSim(SimOptions options);
  ~FleetSim();

  // Opens every measured stream and waits until each ACKed its first response; false if
  // none did (the later phases are then skipped).
  bool connect();
  void push(int n);
  void churn();
  // The versions the measured sidecars saw and the run's errors.
  void finish();
  bool timedOut() const { return Clock::now() >= deadline_; }

 private:
  struct Churner {
    SimStream* stream;
    Clock::time_point drain_at;     // when it reports draining
    Clock::time_point give_up_at;   // when it is cancelled if still open
    bool drained = false;
  };
  // What the churn window is measured between.
  struct Mark {
    ProcSample proc;
    Traffic traffic;       // the measured sidecars'
    uint64_t changes = 0;  // endpoint changes so far
    size_t versions = 0;   // versions seen so far
    Clock::time_point at;
  };
  Mark mark() const;
  void printChurn(const Mark& from, const Mark& to) const;
  SimStream* open(int index, const strait::v1::Node& node);
  strait::v1::Node sidecarNode(int i) const;
  strait::v1::Node churnNode(int j) const;
  void churnTick(Clock::time_point now, std::vector<Churner>* churners);
  Clock::time_point capped(absl::Duration d) const;

  const SimOptions options_;
  const Clock::time_point start_;
  const Clock::time_point deadline_;
  FleetStats stats_;
  std::vector<std::unique_ptr<AdsStub>> stubs_;      // one per channel
  std::vector<std::unique_ptr<SimStream>> streams_;  // measured, then churn workloads
  int churn_opened_ = 0;
  // The last push, for the churn line's comparison.
  double last_push_bytes_ = -1;
  double last_push_cpu_s_ = -1;
};

}  // namespace strait::bench
