#include "sidecar/http/headers.h"

#include <algorithm>
#include <utility>

namespace strait::http {

const std::string* HeaderMap::get(std::string_view name) const {
  for (const HeaderField& field : fields_) {
    if (field.name == name) return &field.value;
  }
  return nullptr;
}

void HeaderMap::add(std::string name, std::string value) {
  fields_.push_back(HeaderField{std::move(name), std::move(value)});
}

void HeaderMap::set(std::string_view name, std::string value) {
  // Keep the position of the first occurrence so the order of other fields is stable.
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [name](const HeaderField& f) { return f.name == name; });
  if (first == fields_.end()) {
    add(std::string(name), std::move(value));
    return;
  }
  first->value = std::move(value);
  auto rest = std::remove_if(first + 1, fields_.end(),
                             [name](const HeaderField& f) { return f.name == name; });
  fields_.erase(rest, fields_.end());
}

size_t HeaderMap::remove(std::string_view name) {
  auto rest = std::remove_if(fields_.begin(), fields_.end(),
                             [name](const HeaderField& f) { return f.name == name; });
  size_t removed = static_cast<size_t>(fields_.end() - rest);
  fields_.erase(rest, fields_.end());
  return removed;
}

size_t HeaderMap::count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(fields_.begin(), fields_.end(),
                                           [name](const HeaderField& f) { return f.name == name; }));
}

}  // namespace strait::http
