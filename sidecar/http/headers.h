// HTTP header list shared by every codec and filter. Names are stored lower-case (HTTP/2
// requires it and it makes lookups cheap); order and duplicates are preserved.
// Not thread-safe; owned by one stream.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strait::http {

struct HeaderField {
  std::string name;   // lower-case token
  std::string value;  // without leading/trailing whitespace
};

class HeaderMap {
 public:
  // First value of `name` (lower-case), or nullptr.
  const std::string* get(std::string_view name) const;
  // Appends a field (name must already be lower-case).
  void add(std::string name, std::string value);
  // Replaces every field called `name` by one with `value`.
  void set(std::string_view name, std::string value);
  // Removes every field called `name`; returns how many were removed.
  size_t remove(std::string_view name);
  // Number of fields called `name`.
  size_t count(std::string_view name) const;

  const std::vector<HeaderField>& fields() const { return fields_; }
  std::vector<HeaderField>& fields() { return fields_; }
  size_t size() const { return fields_.size(); }
  void reserve(size_t n) { fields_.reserve(n); }
  void clear() { fields_.clear(); }

 private:
  std::vector<HeaderField> fields_;
};

}  // namespace strait::http
