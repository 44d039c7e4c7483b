// The simulated fleet's phases and their JSON lines (see sim_fleet.h).
#include "bench/fleet/sim_fleet.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "xds/validate.h"

extern char** environ;

namespace strait::bench {
namespace {

// One JSON object on one line, keys in the order added.
class JsonLine {
 public:
  explicit JsonLine(const std::string& phase) { add("phase", phase); }
  JsonLine& add(const std::string& key, const std::string& v) { return raw(key, quote(v)); }
  JsonLine& add(const std::string& key, const char* v) { return raw(key, quote(v)); }
  JsonLine& add(const std::string& key, double v) { return raw(key, absl::StrFormat("%.4g", v)); }
  JsonLine& add(const std::string& key, int v) { return raw(key, absl::StrCat(v)); }
  JsonLine& add(const std::string& key, uint64_t v) { return raw(key, absl::StrCat(v)); }
  JsonLine& add(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
  JsonLine& raw(const std::string& key, const std::string& json) {
    absl::StrAppend(&body_, body_.empty() ? "" : ",", quote(key), ":", json);
    return *this;
  }
  void print() const { std::cout << "{" << body_ << "}" << std::endl; }
  static std::string quote(const std::string& s) {
    return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", " "}}), "\"");
  }

 private:
  std::string body_;
};

void addProc(JsonLine* line, const ProcSample& before, const ProcSample& after) {
  if (after.cpu_s < 0) return;
  double control = after.cpu_s - before.cpu_s;
  double sim = after.sim_cpu_s - before.sim_cpu_s;
  line->add("control_cpu_s", control)
      .add("sim_cpu_s", sim)
      .add("other_cpu_s", after.machine_busy_s - before.machine_busy_s - control - sim)
      .add("control_rss_mib", after.rss_mib)
      .add("control_hwm_mib", after.hwm_mib)
      .add("control_threads", after.threads);
}

// Runs `cmd` with /bin/sh; killed (by its PID) at `deadline`. True if it exited with 0.
bool runCommand(const std::string& cmd, Clock::time_point deadline) {
  pid_t pid = 0;
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0) return false;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// "198.18.x.y" for churn workload j (198.18.0.0/15, the benchmarking range).
std::string churnAddress(int j) {
  uint32_t host = (198u << 24 | 18u << 16) + 1 + static_cast<uint32_t>(j) % 131070;
  return absl::StrCat(host >> 24, ".", (host >> 16) & 255, ".", (host >> 8) & 255, ".", host & 255);
}

// utime + stime of `pid`, in seconds (-1 if unknown).
double cpuSeconds(int pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 2));  // from field 3 (state) on
  std::string f;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Non-idle time of all CPUs (/proc/stat "cpu": user nice system idle iowait irq softirq steal).
double machineBusySeconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  uint64_t v[8] = {};
  if (!(stat >> cpu) || cpu != "cpu") return -1;
  for (uint64_t& x : v) stat >> x;
  uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

ProcSample sampleProc(int pid) {
  ProcSample s;
  if (pid <= 0) return s;
  s.machine_busy_s = machineBusySeconds();
  s.sim_cpu_s = cpuSeconds(getpid());
  s.cpu_s = cpuSeconds(pid);
  if (s.cpu_s < 0) return s;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string key;
  while (status >> key) {
    double kib = 0;
    if (key == "VmRSS:" && status >> kib) s.rss_mib = kib / 1024;
    if (key == "VmHWM:" && status >> kib) s.hwm_mib = kib / 1024;
    if (key == "Threads:") status >> s.threads;
    status.ignore(1 << 20, '\n');
  }
  return s;
}

FleetSim::FleetSim(SimOptions options)
    : options_(std::move(options)), start_(Clock::now()),
      deadline_(start_ + absl::ToChronoNanoseconds(options_.timeout)), stats_(options_.sidecars, start_) {
  int channels = options_.channels > 0 ? options_.channels : std::max(1, options_.sidecars);
  for (int c = 0; c < channels; ++c) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(xds::kAdsMessageLimit);
    args.SetInt("strait.sim_channel", c);  // distinct arguments: a connection of its own
    stubs_.push_back(std::make_unique<AdsStub>(
        grpc::CreateCustomChannel(options_.target, grpc::InsecureChannelCredentials(), args)));
  }
}

FleetSim::~FleetSim() {
  for (auto& s : streams_) s->cancel();
  int n = static_cast<int>(streams_.size());
  if (!stats_.waitAllEnded(n, Clock::now() + std::chrono::seconds(10))) {
    std::cerr << "strait-fleet-sim: streams still open 10 s after cancelling; exiting" << std::endl;
    std::_Exit(3);  // gRPC still references them: they cannot be destroyed
  }
  streams_.clear();
}

Clock::time_point FleetSim::capped(absl::Duration d) const {
  return std::min(deadline_, Clock::now() + absl::ToChronoNanoseconds(d));
}

SimStream* FleetSim::open(int index, const strait::v1::Node& node) {
  auto stream = std::make_unique<SimStream>(&stats_, index, node, deadline_ + std::chrono::seconds(2));
  SimStream* s = stream.get();
  streams_.push_back(std::move(stream));
  s->start(stubs_[(streams_.size() - 1) % stubs_.size()].get());
  return s;
}

strait::v1::Node FleetSim::sidecarNode(int i) const {
  strait::v1::Node node;
  node.set_id(absl::StrCat("sim-", i));
  node.set_service(options_.services[i % options_.services.size()]);
  if (options_.delta) node.add_client_features("strait.generation_delta");
  return node;
}

strait::v1::Node FleetSim::churnNode(int j) const {
  strait::v1::Node node;
  node.set_id(absl::StrCat("churn-", j));
  node.set_service(options_.churn_service);
  node.mutable_workload()->set_address(churnAddress(j));
  node.mutable_workload()->add_ports(8080);
  if (options_.delta) node.add_client_features("strait.generation_delta");
  return node;
}

bool FleetSim::connect() {
  ProcSample before = sampleProc(options_.control_pid);
  for (int i = 0; i < options_.sidecars; ++i) open(i, sidecarNode(i));
  int connected = stats_.waitConnected(deadline_);
  ProcSample after = sampleProc(options_.control_pid);
  Traffic t = stats_.sidecarTraffic();
  JsonLine line("connect");
  line.add("sidecars", options_.sidecars)
      .add("channels", static_cast<int>(stubs_.size()))
      .add("connected", connected)
      .add("failed", stats_.failed())
      .add("all_first_response_s", stats_.lastFirstResponse())
      .add("all_acked_s", stats_.lastFirstAck())
      .add("full_bytes_per_sidecar", static_cast<double>(t.full_bytes) / std::max(1, options_.sidecars))
      .add("timed_out", timedOut());
  addProc(&line, before, after);
  line.print();
  return connected > 0;
}

void FleetSim::push(int n) {
  if (timedOut()) return;
  ProcSample before = sampleProc(options_.control_pid);
  Traffic t0 = stats_.sidecarTraffic();
  stats_.beginPush();
  std::string cmd = absl::StrReplaceAll(options_.trigger_cmd, {{"{n}", absl::StrCat(n)}});
  bool ran = runCommand(cmd, capped(absl::Seconds(60)));
  PushResult r = stats_.waitPush(capped(options_.push_timeout));
  std::this_thread::sleep_until(capped(options_.settle));
  ProcSample after = sampleProc(options_.control_pid);
  Traffic t = stats_.sidecarTraffic() - t0;
  double per = std::max(1, r.streams);
  JsonLine line("push");
  line.add("n", n).add("trigger_ok", ran).add("streams", r.streams).add("moved", r.moved).add("ended", r.ended)
      .add("all_received_s", r.all_received)
      .add("all_acked_s", r.all_acked)
      .add("full_responses", t.full_responses)
      .add("delta_responses", t.delta_responses)
      .add("full_bytes_per_sidecar", static_cast<double>(t.full_bytes) / per)
      .add("delta_bytes_per_sidecar", static_cast<double>(t.delta_bytes) / per)
      .add("timed_out", r.moved + r.ended < r.streams);
  addProc(&line, before, after);
  line.print();
  last_push_bytes_ = static_cast<double>(t.full_bytes + t.delta_bytes) / per;
  last_push_cpu_s_ = after.cpu_s >= 0 ? after.cpu_s - before.cpu_s : -1;
}

// Arrivals, drains and give-ups due by `now`.
void FleetSim::churnTick(Clock::time_point now, std::vector<Churner>* churners) {
  for (Churner& c : *churners) {
    if (!c.drained && now >= c.drain_at) {
      c.stream->drain();
      c.drained = true;
    } else if (c.drained && now >= c.give_up_at && !c.stream->done()) {
      c.stream->cancel();  // no endpoint_withdrawn in time
      c.give_up_at = Clock::time_point::max();
    }
  }
}

FleetSim::Mark FleetSim::mark() const {
  return {sampleProc(options_.control_pid), stats_.sidecarTraffic(), stats_.endpointChanges(),
          stats_.versions().size(), Clock::now()};
}

void FleetSim::churn() {
  if (timedOut() || options_.churn_rate <= 0) return;
  auto lifetime = absl::ToChronoNanoseconds(options_.churn_lifetime);
  auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(2.0 / options_.churn_rate));
  Clock::time_point begin = Clock::now();
  Clock::time_point window_start = begin + lifetime;  // from then on, drains balance arrivals
  Clock::time_point window_end = std::min(deadline_, window_start + absl::ToChronoNanoseconds(options_.duration));
  Clock::time_point next_arrival = begin;
  std::vector<Churner> churners;
  std::optional<Mark> from;
  for (Clock::time_point now = begin; now < window_end; now = Clock::now()) {
    if (!from && now >= window_start) from = mark();
    for (; next_arrival <= now; next_arrival += interval) {
      SimStream* s = open(-1, churnNode(churn_opened_++));
      churners.push_back({s, now + lifetime, now + lifetime + std::chrono::seconds(8)});
    }
    churnTick(now, &churners);
    std::this_thread::sleep_until(std::min(next_arrival, now + std::chrono::milliseconds(5)));
  }
  if (from) printChurn(*from, mark());
}

void FleetSim::printChurn(const Mark& from, const Mark& to) const {
  Traffic t = to.traffic - from.traffic;
  double window = secondsBetween(from.at, to.at);
  double per = std::max(1, options_.sidecars) * window;
  uint64_t changes = to.changes - from.changes;
  JsonLine line("churn");
  line.add("window_s", window)
      .add("churn_rate", options_.churn_rate)
      .add("churn_workloads_opened", churn_opened_)
      .add("endpoint_changes", changes)
      .add("endpoint_changes_per_s", static_cast<double>(changes) / window)
      .add("versions", static_cast<int>(to.versions - from.versions))
      .add("full_responses_per_sidecar_s", static_cast<double>(t.full_responses) / per)
      .add("delta_responses_per_sidecar_s", static_cast<double>(t.delta_responses) / per)
      .add("full_bytes_per_sidecar_s", static_cast<double>(t.full_bytes) / per)
      .add("delta_bytes_per_sidecar_s", static_cast<double>(t.delta_bytes) / per)
      .add("full_bytes_per_response", static_cast<double>(t.full_bytes) / std::max<uint64_t>(1, t.full_responses))
      .add("churn_withdrawn_answers", stats_.churnTraffic().withdrawn_responses);
  if (to.proc.cpu_s >= 0) line.add("control_cpu_s_per_s", (to.proc.cpu_s - from.proc.cpu_s) / window);
  if (last_push_bytes_ >= 0) line.add("push_bytes_per_sidecar", last_push_bytes_).add("push_cpu_s", last_push_cpu_s_);
  addProc(&line, from.proc, to.proc);
  line.print();
}

void FleetSim::finish() {
  std::string list;
  std::vector<VersionSeen> versions = stats_.versions();
  size_t from = versions.size() > 20 ? versions.size() - 20 : 0;  // churn makes hundreds
  for (size_t i = from; i < versions.size(); ++i) {
    const VersionSeen& v = versions[i];
    absl::StrAppend(&list, list.empty() ? "" : ",",
                    absl::StrFormat("{\"version\":%s,\"received\":%d,\"acked\":%d,\"first_received_s\":%.4g,"
                                    "\"last_received_s\":%.4g,\"last_acked_s\":%.4g}",
                                    JsonLine::quote(v.version), v.received, v.acked, v.first_received,
                                    v.last_received, v.last_acked));
  }
  JsonLine("versions").add("count", static_cast<int>(versions.size())).raw("last", "[" + list + "]").print();
  std::string errors;
  for (const auto& [what, count] : stats_.errors()) {
    absl::StrAppend(&errors, errors.empty() ? "" : ",", JsonLine::quote(what), ":", count);
  }
  JsonLine("end")
      .add("elapsed_s", secondsBetween(start_, Clock::now()))
      .add("timed_out", timedOut())
      .add("failed_sidecars", stats_.failed())
      .raw("errors", "{" + errors + "}")
      .print();
}

}  // namespace strait::bench
