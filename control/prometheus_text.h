// Building blocks of the Prometheus text exposition format (version 0.0.4): a histogram with
// fixed buckets, a counter keyed by one label with a cap on distinct values, and the
// escaping of label values.
// THREADS: none of these classes locks; their owner guards them (ControlMetrics,
// PushTracker). Rendering appends to a string and does no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace strait::control {

// `value` escaped for use inside a label's double quotes (\\, \", \n).
std::string escapeLabelValue(absl::string_view value);

// Appends "# HELP name help\n# TYPE name type\n".
void appendFamilyHeader(std::string* out, absl::string_view name, absl::string_view type, absl::string_view help);

// Appends a sample "name{label="value"} v\n" (no braces when `label` is empty).
void appendSample(std::string* out, absl::string_view name, absl::string_view label, absl::string_view label_value,
                  double value);

// A Prometheus histogram: cumulative buckets with upper bounds `bounds` (sorted ascending;
// +Inf is implicit), a sum and a count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  // Appends the family: HELP, TYPE, name_bucket{le=...} for every bound and +Inf, name_sum,
  // name_count.
  void render(std::string* out, absl::string_view name, absl::string_view help) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, NOT cumulative; last one: above every bound
  double sum_ = 0;
  uint64_t count_ = 0;
};

// A counter per label value. At most `max_values` distinct values get their own sample;
// increments of any further value are added to the value `overflow` (so the number of
// series stays bounded whatever the input).
class CappedLabelCounter {
 public:
  CappedLabelCounter(size_t max_values, std::string overflow)
      : max_values_(max_values), overflow_(std::move(overflow)) {}

  void increment(const std::string& value);
  uint64_t get(const std::string& value) const;
  size_t size() const { return counts_.size(); }  // distinct values, overflow included
  // Appends one sample per value, sorted by value (the family header is the caller's).
  void render(std::string* out, absl::string_view name, absl::string_view label) const;

 private:
  const size_t max_values_;
  const std::string overflow_;
  std::map<std::string, uint64_t> counts_;
  size_t own_values_ = 0;  // entries other than overflow_
};

}  // namespace strait::control
