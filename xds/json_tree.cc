// The JSON subset reader (see json_tree.h): RapidJSON's SAX reader builds the tree.
#include "xds/json_tree.h"

#include <rapidjson/reader.h>

#include <cstring>

namespace strait::xds {
namespace {

// RapidJSON's input stream over the text, counting lines for the tree's marks.
class LineStream {
 public:
  using Ch = char;
  explicit LineStream(std::string_view text) : p_(text.data()), begin_(text.data()), end_(text.data() + text.size()) {}
  Ch Peek() const { return p_ < end_ ? *p_ : '\0'; }
  Ch Take() {
    if (p_ >= end_) return '\0';
    Ch c = *p_++;
    if (c == '\n') ++line_;
    return c;
  }
  size_t Tell() const { return static_cast<size_t>(p_ - begin_); }
  // Write side: unused by the reader without kParseInsituFlag.
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  size_t PutEnd(Ch*) { return 0; }
  int line() const { return line_; }

 private:
  const Ch* p_;
  const Ch* begin_;
  const Ch* end_;
  int line_ = 0;
};

}  // namespace

// SAX handler: every callback returns false to give up (the caller then uses yaml-cpp).
class JsonReader {
 public:
  JsonReader(JsonNode* root, const LineStream* in) : root_(root), in_(in) {}

  bool Null() { return scalar(nullptr, 0, JsonNode::Kind::kNull); }
  bool Bool(bool b) { return b ? scalar("true", 4) : scalar("false", 5); }
  // Numbers arrive as their text (kParseNumbersAsStringsFlag), as YAML keeps a scalar's.
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return scalar(s, n); }
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool String(const char* s, rapidjson::SizeType n, bool) { return plain(s, n) && scalar(s, n); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    JsonNode* map = stack_.back();
    map->entries_.emplace_back();
    JsonNode& key = map->entries_.back().first;
    key.kind_ = JsonNode::Kind::kScalar;
    key.line_ = in_->line();
    key.scalar_.assign(s, n);
    return plain(s, n);
  }
  bool StartObject() { return open(JsonNode::Kind::kMap); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(JsonNode::Kind::kSequence); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  static constexpr size_t kMaxDepth = 64;

  // Where the next value goes: the root, an array's next item, or the last key's value.
  JsonNode* slot() {
    if (stack_.empty()) return started_ ? nullptr : root_;
    JsonNode* parent = stack_.back();
    if (parent->kind_ == JsonNode::Kind::kSequence) {
      parent->items_.emplace_back();
      return &parent->items_.back();
    }
    return &parent->entries_.back().second;
  }
  bool scalar(const char* s, size_t n, JsonNode::Kind kind = JsonNode::Kind::kScalar) {
    JsonNode* node = slot();
    if (node == nullptr || node == root_) return false;  // the document must be an object
    node->kind_ = kind;
    node->line_ = in_->line();
    if (s != nullptr) node->scalar_.assign(s, n);
    return true;
  }
  bool open(JsonNode::Kind kind) {
    JsonNode* node = slot();
    if (node == nullptr || stack_.size() >= kMaxDepth) return false;
    if (node == root_ && kind != JsonNode::Kind::kMap) return false;
    started_ = true;
    node->kind_ = kind;
    node->line_ = in_->line();
    stack_.push_back(node);
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  // Inside the subset where YAML reads a double-quoted scalar the same way: printable ASCII
  // and the escapes \n \t \r (JSON has no raw control characters in strings).
  static bool plain(const char* s, size_t n) {
    for (size_t i = 0; i < n; i++) {
      auto c = static_cast<unsigned char>(s[i]);
      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c >= 0x7f) return false;
    }
    return true;
  }

  JsonNode* const root_;
  const LineStream* const in_;
  std::vector<JsonNode*> stack_;  // open maps and sequences, innermost last
  bool started_ = false;
};

std::unique_ptr<JsonNode> readJsonSubset(std::string_view text) {
  // Tabs, a BOM or carriage returns: leave the file to yaml-cpp, whose reading of them is the
  // reference (JSON and YAML treat some of them differently).
  if (text.find_first_of("\t\r") != std::string_view::npos || text.substr(0, 3) == "\xEF\xBB\xBF") return nullptr;
  auto root = std::make_unique<JsonNode>();
  LineStream in(text);
  JsonReader handler(root.get(), &in);
  rapidjson::Reader reader;
  if (reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(in, handler).IsError()) return nullptr;
  if (!root->IsMap()) return nullptr;
  return root;
}

}  // namespace strait::xds
