#include "xds/json_tree.h"

namespace strait::xds {

// Recursive descent over the subset; every method returns false to give up.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : s_(text) {}

  bool document(JsonNode* root) {
    skipSpace();
    if (pos_ >= s_.size() || s_[pos_] != '{') return false;
    if (!value(root, 0)) return false;
    skipSpace();
    return pos_ == s_.size();
  }

 private:
  static constexpr int kMaxDepth = 64;

  void skipSpace() {
    for (; pos_ < s_.size(); pos_++) {
      if (s_[pos_] == '\n') line_++;
      else if (s_[pos_] != ' ') return;
    }
  }

  bool value(JsonNode* out, int depth) {
    if (depth > kMaxDepth || pos_ >= s_.size()) return false;
    out->line_ = line_;
    char c = s_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    out->kind_ = JsonNode::Kind::kScalar;
    if (c == '"') return string(&out->scalar_);
    for (std::string_view word : {"true", "false"}) {
      if (literal(word)) {
        out->scalar_ = std::string(word);
        return true;
      }
    }
    if (literal("null")) {
      out->kind_ = JsonNode::Kind::kNull;
      return true;
    }
    return number(&out->scalar_);
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool object(JsonNode* out, int depth) {
    out->kind_ = JsonNode::Kind::kMap;
    pos_++;  // '{'
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      pos_++;
      return true;
    }
    for (;;) {
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return false;
      JsonNode key;
      key.kind_ = JsonNode::Kind::kScalar;
      key.line_ = line_;
      if (!string(&key.scalar_)) return false;
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return false;
      pos_++;
      skipSpace();
      JsonNode val;
      if (!value(&val, depth + 1)) return false;
      out->entries_.emplace_back(std::move(key), std::move(val));
      skipSpace();
      if (pos_ >= s_.size()) return false;
      if (s_[pos_] == '}') {
        pos_++;
        return true;
      }
      if (s_[pos_++] != ',') return false;
    }
  }

  bool array(JsonNode* out, int depth) {
    out->kind_ = JsonNode::Kind::kSequence;
    pos_++;  // '['
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      pos_++;
      return true;
    }
    for (;;) {
      skipSpace();
      out->items_.emplace_back();
      if (!value(&out->items_.back(), depth + 1)) return false;
      skipSpace();
      if (pos_ >= s_.size()) return false;
      if (s_[pos_] == ']') {
        pos_++;
        return true;
      }
      if (s_[pos_++] != ',') return false;
    }
  }

  bool string(std::string* out) {
    pos_++;  // opening quote
    for (; pos_ < s_.size(); pos_++) {
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        pos_++;
        return true;
      }
      if (c < 0x20 || c >= 0x80) return false;  // control characters, non-ASCII: yaml-cpp's call
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        continue;
      }
      if (++pos_ >= s_.size()) return false;
      switch (s_[pos_]) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case 'n': out->push_back('\n'); break;
        case 't': out->push_back('\t'); break;
        case 'r': out->push_back('\r'); break;
        default: return false;
      }
    }
    return false;
  }

  // JSON's number grammar, kept as text (YAML keeps a plain scalar's text).
  bool number(std::string* out) {
    size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') pos_++;
    if (pos_ >= s_.size() || !isDigit(s_[pos_])) return false;
    if (s_[pos_] == '0') pos_++;
    else digits();
    if (pos_ < s_.size() && s_[pos_] == '.') {
      pos_++;
      if (!digits()) return false;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      pos_++;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) pos_++;
      if (!digits()) return false;
    }
    out->assign(s_.substr(start, pos_ - start));
    return true;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }
  bool digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && isDigit(s_[pos_])) pos_++;
    return pos_ > start;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 0;
};

std::unique_ptr<JsonNode> readJsonSubset(std::string_view text) {
  auto root = std::make_unique<JsonNode>();
  JsonReader reader(text);
  if (!reader.document(root.get())) return nullptr;
  return root;
}

}  // namespace strait::xds
