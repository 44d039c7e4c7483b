// The served state file (see served_state.h).
#include "control/served_state.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "control/log_line.h"

namespace strait::control {
namespace {

bool clean(const std::string& field) {
  return !field.empty() && field.find_first_of("\t\n\r") == std::string::npos;
}

}  // namespace

std::string ServedState::serialize() const {
  std::string out = absl::StrCat("version\t", version, "\n");
  for (const auto& w : workloads) {
    // A field the format cannot carry (a node id with a tab, say) leaves that workload out,
    // rather than making the whole file unreadable.
    if (!clean(w.node_id) || !clean(w.service) || !clean(w.address)) continue;
    absl::StrAppend(&out, "workload\t", w.node_id, "\t", w.service, "\t", w.address, "\n");
  }
  return out;
}

absl::StatusOr<ServedState> ServedState::parse(const std::string& text) {
  ServedState state;
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++n;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    bool ok = true;
    for (const auto& field : f) ok = ok && clean(field);
    if (ok && f.size() == 2 && f[0] == "version" && state.version.empty()) {
      state.version = f[1];
    } else if (ok && f.size() == 4 && f[0] == "workload") {
      state.workloads.push_back({f[1], f[2], f[3]});
    } else {
      return absl::InvalidArgumentError(absl::StrCat("line ", n, ": not a version or workload record"));
    }
  }
  if (state.version.empty()) return absl::InvalidArgumentError("no version record");
  return state;
}

absl::StatusOr<ServedState> loadServedState(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  std::stringstream text;
  text << in.rdbuf();
  auto state = ServedState::parse(text.str());
  if (!state.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", state.status().message()));
  return state;
}

ServedStateWriter::ServedStateWriter(std::string path) : path_(std::move(path)) {
  thread_ = std::thread([this] { loop(); });
}

ServedStateWriter::~ServedStateWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ServedStateWriter::save(ServedState state) {
  std::string text = state.serialize();
  absl::MutexLock lock(&mu_);
  pending_ = std::move(text);
  dirty_ = true;
}

void ServedStateWriter::flush() {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !dirty_ && !writing_; };
  mu_.Await(absl::Condition(&done));
}

void ServedStateWriter::loop() {
  bool failing = false;  // log a failure once, not at every change
  for (;;) {
    std::string text;
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return dirty_ || stopping_; };
      mu_.Await(absl::Condition(&work));
      if (!dirty_) return;  // stopping, nothing pending
      text.swap(pending_);
      dirty_ = false;
      writing_ = true;
    }
    std::string tmp = path_ + ".tmp";
    bool ok = false;
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
      ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
      ok = std::fflush(f) == 0 && ok;
      ok = std::fclose(f) == 0 && ok;
      ok = ok && std::rename(tmp.c_str(), path_.c_str()) == 0;
    }
    if (!ok && !failing) logLine("strait-control: cannot write the served state to ", path_, " (a restart will renumber)");
    failing = !ok;
    absl::MutexLock lock(&mu_);
    writing_ = false;
  }
}

}  // namespace strait::control
