#include "xds/field_rules.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace strait::xds {

bool isIpLiteral(const std::string& address) {
  unsigned char buf[16];
  return inet_pton(AF_INET, address.c_str(), buf) == 1 || inet_pton(AF_INET6, address.c_str(), buf) == 1;
}

bool isCidr(const std::string& cidr) {
  size_t slash = cidr.find('/');
  std::string addr = cidr.substr(0, slash);
  if (!isIpLiteral(addr)) return false;
  if (slash == std::string::npos) return true;
  std::string len = cidr.substr(slash + 1);
  int max = addr.find(':') == std::string::npos ? 32 : 128;
  if (len.empty() || len.size() > 3 || !std::all_of(len.begin(), len.end(), ::isdigit)) return false;
  return std::stoi(len) <= max;
}

bool isHeaderName(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool isHeaderValue(const std::string& value) {
  return value.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
}

bool isValidDuration(const google::protobuf::Duration& d) {
  constexpr int64_t kMaxSeconds = 315576000000;
  if (d.seconds() > kMaxSeconds || d.seconds() < -kMaxSeconds) return false;
  if (d.nanos() > 999999999 || d.nanos() < -999999999) return false;
  return !((d.seconds() > 0 && d.nanos() < 0) || (d.seconds() < 0 && d.nanos() > 0));
}

int64_t toNanos(const google::protobuf::Duration& d) { return d.seconds() * 1000000000 + d.nanos(); }

std::string regexError(const std::string& pattern) {
  RE2 re(pattern, RE2::Quiet);
  return re.ok() ? "" : re.error();
}

void checkMethods(FieldProblems& problems, const std::string& base,
                  const google::protobuf::RepeatedPtrField<std::string>& methods) {
  static const char* const kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (int i = 0; i < methods.size(); ++i) {
    bool known = false;
    for (const char* k : kMethods) known = known || methods[i] == k;
    if (!known) {
      problems.add(absl::StrCat(base, "[", i, "]"),
                   "unknown method '" + methods[i] + "' (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH)");
    }
  }
}

void checkHeaderNames(FieldProblems& problems, const std::string& base,
                      const google::protobuf::RepeatedPtrField<std::string>& names) {
  for (int i = 0; i < names.size(); ++i) {
    if (!isHeaderName(names[i])) problems.add(absl::StrCat(base, "[", i, "]"), "invalid header name '" + names[i] + "'");
  }
}

void checkRegex(FieldProblems& problems, const std::string& field, const std::string& pattern) {
  std::string err = regexError(pattern);
  if (!err.empty()) problems.add(field, "invalid regex: " + err);
}

}  // namespace strait::xds
