// YAML -> JSON -> protobuf, walking the YAML tree together with the message descriptor so
// every scalar gets the JSON type its field needs (YAML itself has no reliable scalar types:
// `version: 1.10` must stay the string "1.10" when the field is a string).
#include "xds/yaml_proto.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "xds/json_tree.h"
#include "yaml-cpp/yaml.h"

namespace strait::xds {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

template <typename Node>
absl::Status error(const Node& node, const std::string& path, absl::string_view reason) {
  int line = node.Mark().line + 1;
  std::string where = path.empty() ? "" : absl::StrCat(path, ": ");
  if (line <= 0) return absl::InvalidArgumentError(absl::StrCat(where, reason));
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", where, reason));
}

void appendJsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append(absl::StrFormat("\\u%04x", c));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

bool isInteger(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  if (s[0] == '-') {
    (void)std::strtoll(s.c_str(), &end, 10);
  } else {
    (void)std::strtoull(s.c_str(), &end, 10);
  }
  return errno == 0 && *end == '\0';
}

bool isNumber(const std::string& s) {
  if (s.empty() || isInteger(s)) return !s.empty();
  char* end = nullptr;
  (void)std::strtod(s.c_str(), &end);
  return *end == '\0' && s.find_first_of("xXpP") == std::string::npos;
}

// Accepts the proto JSON form ("5s", "0.25s") and Go-style forms ("100ms", "1m30s").
template <typename Node>
absl::Status durationToJson(const Node& node, const std::string& path, std::string* out) {
  const std::string& s = node.Scalar();
  absl::Duration d;
  if (!absl::ParseDuration(s, &d) || s == "inf" || s == "-inf") {
    return error(node, path, absl::StrCat("expected a duration like '5s' or '100ms', got '", s,
                                          "'"));
  }
  int64_t nanos = absl::ToInt64Nanoseconds(d);
  std::string secs = absl::StrFormat("%s%d.%09d", nanos < 0 ? "-" : "",
                                     std::llabs(nanos) / 1000000000, std::llabs(nanos) % 1000000000);
  appendJsonString(secs + "s", out);
  return absl::OkStatus();
}

template <typename Node>
absl::Status messageToJson(const Node& node, const Descriptor* desc, const std::string& path,
                           std::string* out);

template <typename Node>
absl::Status scalarToJson(const Node& node, const FieldDescriptor* field,
                          const std::string& path, std::string* out) {
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const std::string& full = field->message_type()->full_name();
    if (full == "google.protobuf.Duration") {
      if (!node.IsScalar()) return error(node, path, "expected a duration like '5s'");
      return durationToJson(node, path, out);
    }
    return messageToJson(node, field->message_type(), path, out);
  }
  if (!node.IsScalar()) return error(node, path, "expected a single value, not a list or map");
  const std::string& s = node.Scalar();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      appendJsonString(s, out);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL:
      if (s == "true" || s == "True" || s == "TRUE") { out->append("true"); return absl::OkStatus(); }
      if (s == "false" || s == "False" || s == "FALSE") { out->append("false"); return absl::OkStatus(); }
      return error(node, path, absl::StrCat("expected true or false, got '", s, "'"));
    case FieldDescriptor::CPPTYPE_ENUM:
      if (field->enum_type()->FindValueByName(s) != nullptr) {
        appendJsonString(s, out);
        return absl::OkStatus();
      }
      if (isInteger(s)) { out->append(s); return absl::OkStatus(); }
      return error(node, path, absl::StrCat("unknown value '", s, "' of ",
                                            field->enum_type()->name()));
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      if (!isNumber(s)) return error(node, path, absl::StrCat("expected a number, got '", s, "'"));
      out->append(s);
      return absl::OkStatus();
    default:  // integers
      if (!isInteger(s)) {
        return error(node, path, absl::StrCat("expected an integer, got '", s, "'"));
      }
      out->append(s);
      return absl::OkStatus();
  }
}

template <typename Node>
absl::Status repeatedToJson(const Node& node, const FieldDescriptor* field,
                            const std::string& path, std::string* out) {
  if (!node.IsSequence()) return error(node, path, "expected a list");
  out->push_back('[');
  for (size_t i = 0; i < node.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::Status st = scalarToJson(node[i], field, absl::StrCat(path, "[", i, "]"), out);
    if (!st.ok()) return st;
  }
  out->push_back(']');
  return absl::OkStatus();
}

template <typename Node>
absl::Status mapToJson(const Node& node, const FieldDescriptor* field,
                       const std::string& path, std::string* out) {
  if (!node.IsMap()) return error(node, path, "expected a map");
  const FieldDescriptor* value_field = field->message_type()->FindFieldByName("value");
  out->push_back('{');
  bool first = true;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return error(kv.first, path, "map keys must be plain values");
    if (!first) out->push_back(',');
    first = false;
    appendJsonString(kv.first.Scalar(), out);
    out->push_back(':');
    absl::Status st = scalarToJson(kv.second, value_field,
                                   absl::StrCat(path, "[", kv.first.Scalar(), "]"), out);
    if (!st.ok()) return st;
  }
  out->push_back('}');
  return absl::OkStatus();
}

const FieldDescriptor* findByJsonName(const Descriptor* desc, const std::string& key) {
  for (int i = 0; i < desc->field_count(); ++i) {
    if (desc->field(i)->json_name() == key) return desc->field(i);
  }
  return nullptr;
}

template <typename Node>
absl::Status messageToJson(const Node& node, const Descriptor* desc, const std::string& path,
                           std::string* out) {
  if (node.IsNull()) { out->append("{}"); return absl::OkStatus(); }
  if (!node.IsMap()) return error(node, path, absl::StrCat("expected a map (", desc->name(), ")"));
  out->push_back('{');
  bool first = true;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    const std::string sub = path.empty() ? key : absl::StrCat(path, ".", key);
    const FieldDescriptor* field = desc->FindFieldByName(key);
    if (field == nullptr) field = findByJsonName(desc, key);
    if (field == nullptr) return error(kv.first, sub, "unknown field");
    if (kv.second.IsNull()) continue;  // "key:" with no value means the default
    if (!first) out->push_back(',');
    first = false;
    appendJsonString(field->name(), out);
    out->push_back(':');
    absl::Status st = field->is_map()        ? mapToJson(kv.second, field, sub, out)
                      : field->is_repeated() ? repeatedToJson(kv.second, field, sub, out)
                                             : scalarToJson(kv.second, field, sub, out);
    if (!st.ok()) return st;
  }
  out->push_back('}');
  return absl::OkStatus();
}

absl::Status jsonToMessage(const std::string& json, google::protobuf::Message* out) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, out, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value: ", parsed.message().as_string()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status yamlToMessage(const std::string& yaml, google::protobuf::Message* out) {
  out->Clear();
  // A plain JSON document takes the fast reader (json_tree.h) and, if all goes well, that is
  // all; anything it does not take, and any error, goes the YAML way, which words the errors.
  if (auto tree = readJsonSubset(yaml)) {
    std::string json;
    if (messageToJson(*tree, out->GetDescriptor(), "", &json).ok() && jsonToMessage(json, out).ok()) {
      return absl::OkStatus();
    }
    out->Clear();
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("line ", e.mark.line + 1, ": ", e.msg));
  }
  std::string json;
  absl::Status st = messageToJson(root, out->GetDescriptor(), "", &json);
  if (!st.ok()) return st;
  return jsonToMessage(json, out);
}

absl::Status yamlFileToMessage(const std::string& path, google::protobuf::Message* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  std::stringstream buf;
  buf << in.rdbuf();
  absl::Status st = yamlToMessage(buf.str(), out);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat(path, ": ", st.message()));
  return absl::OkStatus();
}

}  // namespace strait::xds
