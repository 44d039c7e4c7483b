#include "sidecar/server/admin_config_dump.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "sidecar/server/admin_json.h"

namespace strait::server {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

struct Kind {
  const char* field;       // the Generation field, also the query's KIND
  const char* name_field;  // the resource's name within it
};
constexpr Kind kKinds[] = {{"listeners", "name"},
                           {"route_configs", "name"},
                           {"clusters", "name"},
                           {"load_assignments", "cluster_name"},
                           {"secrets", "name"}};

const Kind* findKind(const std::string& kind) {
  for (const Kind& k : kKinds) {
    if (kind == k.field) return &k;
  }
  return nullptr;
}

std::string resourceName(const Message& m, const Kind& kind) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(kind.name_field);
  return m.GetReflection()->GetString(m, f);
}

// One resource as JSON, as in the full dump (proto field names; private keys redacted).
void appendResource(std::string& out, const Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string json;
  const bool secret = m.GetDescriptor() == strait::v1::Secret::descriptor();
  if (secret && !static_cast<const strait::v1::Secret&>(m).private_key().empty()) {
    strait::v1::Secret redacted = static_cast<const strait::v1::Secret&>(m);
    redacted.set_private_key("[redacted]");
    (void)google::protobuf::util::MessageToJsonString(redacted, &json, opts);
  } else {
    (void)google::protobuf::util::MessageToJsonString(m, &json, opts);
  }
  out += json.empty() ? "{}" : json;
}

}  // namespace

absl::StatusOr<std::string> renderConfigDumpResource(const proxy::Snapshot* snap, const std::string& version,
                                                     const std::string& kind_name,
                                                     const std::string& name) {
  const Kind* kind = findKind(kind_name);
  if (kind == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown resource kind '", kind_name, "' (one of listeners, route_configs, clusters, load_assignments, secrets)"));
  }
  std::string out = "{\"version\": ";
  appendJsonString(out, snap ? version : "");
  out += ", \"applied_at\": ";
  appendJsonString(out, snap ? absl::FormatTime(absl::RFC3339_full, snap->applied_at, absl::UTCTimeZone()) : "");
  absl::StrAppend(&out, ", \"generation\": {\"", kind->field, "\": [");
  size_t written = 0;
  if (snap != nullptr) {
    const Message& gen = snap->generation;
    const FieldDescriptor* field = gen.GetDescriptor()->FindFieldByName(kind->field);
    const auto* reflection = gen.GetReflection();
    int n = reflection->FieldSize(gen, field);
    for (int i = 0; i < n; i++) {
      const Message& resource = reflection->GetRepeatedMessage(gen, field, i);
      if (!name.empty() && resourceName(resource, *kind) != name) continue;
      if (written++ > 0) out += ", ";
      appendResource(out, resource);
    }
  }
  if (!name.empty() && written == 0) {
    return absl::NotFoundError(absl::StrCat("no ", kind->field, " resource named '", name, "' in version ",
                                            snap ? version : "(none applied)"));
  }
  out += "]}}\n";
  return out;
}

}  // namespace strait::server
