// A fast reader for config files that are plain JSON (what tools generating big configs
// write), giving the same tree yaml-cpp builds for them, with the part of YAML::Node's
// interface yaml_proto.cc's walker uses. yaml-cpp reads 1 MB of JSON in ~120 ms (its scanner)
// plus ~80 ms building and freeing its node graph; RapidJSON's SAX reader (Debian's
// rapidjson-dev) reads it in a few ms, and this file only builds the tree from its events.
//
// Deliberately a subset: one JSON object whose strings and keys are printable ASCII after
// unescaping (escaped newlines, tabs and carriage returns too), without raw tabs, carriage
// returns or a BOM anywhere, at most 64 levels deep.
// Anything else (or a syntax error, or comments) makes it give up, and the caller reads the
// file with yaml-cpp as before: inside the subset, YAML reads JSON the same way (scalars keep
// their literal text, numbers included; a bare null is a null node), so the two paths build
// the same tree.
// THREADS: any (pure functions, immutable results).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strait::xds {

class JsonNode {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };
  struct Position {
    int line = 0;  // 0-based, as YAML::Mark
  };

  // YAML::Node's names, so one walker serves both trees.
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsScalar() const { return kind_ == Kind::kScalar; }
  bool IsSequence() const { return kind_ == Kind::kSequence; }
  bool IsMap() const { return kind_ == Kind::kMap; }
  const std::string& Scalar() const { return scalar_; }
  Position Mark() const { return {line_}; }
  size_t size() const { return kind_ == Kind::kMap ? entries_.size() : items_.size(); }
  const JsonNode& operator[](size_t i) const { return items_[i]; }
  // A map's entries, in file order (duplicate keys kept, as yaml-cpp does).
  std::vector<std::pair<JsonNode, JsonNode>>::const_iterator begin() const { return entries_.begin(); }
  std::vector<std::pair<JsonNode, JsonNode>>::const_iterator end() const { return entries_.end(); }

 private:
  friend class JsonReader;
  Kind kind_ = Kind::kNull;
  int line_ = 0;
  std::string scalar_;
  std::vector<JsonNode> items_;
  std::vector<std::pair<JsonNode, JsonNode>> entries_;
};

// The tree of `text` if it is one JSON object inside the subset above; null otherwise.
std::unique_ptr<JsonNode> readJsonSubset(std::string_view text);

}  // namespace strait::xds
