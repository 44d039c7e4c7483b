// Prometheus text format pieces (see prometheus_text.h).
#include "control/prometheus_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace strait::control {
namespace {

// Prometheus floats: integers without a fraction, others with enough digits to round-trip.
std::string formatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  // The shortest of %.15g and %.17g that reads back as `v` (0.005, not 0.0050000000000000001).
  snprintf(buf, sizeof(buf), "%.15g", v);
  if (std::strtod(buf, nullptr) != v) snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace

std::string escapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void appendFamilyHeader(std::string* out, absl::string_view name, absl::string_view type, absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void appendSample(std::string* out, absl::string_view name, absl::string_view label, absl::string_view label_value,
                  double value) {
  absl::StrAppend(out, name);
  if (!label.empty()) absl::StrAppend(out, "{", label, "=\"", escapeLabelValue(label_value), "\"}");
  absl::StrAppend(out, " ", formatValue(value), "\n");
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  // Buckets are "less than or equal": a value on a bound falls in that bound's bucket.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string* out, absl::string_view name, absl::string_view help) const {
  appendFamilyHeader(out, name, "histogram", help);
  std::string bucket = absl::StrCat(name, "_bucket");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    appendSample(out, bucket, "le", formatValue(bounds_[i]), static_cast<double>(cumulative));
  }
  appendSample(out, bucket, "le", "+Inf", static_cast<double>(count_));
  appendSample(out, absl::StrCat(name, "_sum"), "", "", sum_);
  appendSample(out, absl::StrCat(name, "_count"), "", "", static_cast<double>(count_));
}

void CappedLabelCounter::increment(const std::string& value) {
  auto it = counts_.find(value);
  if (it != counts_.end()) {
    ++it->second;
    return;
  }
  if (value == overflow_ || own_values_ >= max_values_) {
    ++counts_[overflow_];
    return;
  }
  ++own_values_;
  counts_[value] = 1;
}

uint64_t CappedLabelCounter::get(const std::string& value) const {
  auto it = counts_.find(value);
  return it == counts_.end() ? 0 : it->second;
}

void CappedLabelCounter::render(std::string* out, absl::string_view name, absl::string_view label) const {
  for (const auto& [value, count] : counts_) appendSample(out, name, label, value, static_cast<double>(count));
}

}  // namespace strait::control
