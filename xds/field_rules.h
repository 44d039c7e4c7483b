// Field-level rules every validator shares (the generation's own in xds/, each filter's in
// its folder under sidecar/filters/): what a header name, a header value, a duration or a
// regular expression must be, and where a validator reports what is wrong.
// THREADS: any (pure functions). No dependency beyond protobuf and RE2, so the control plane
// and straitctl link the filters' validation without their runtime.
#pragma once

#include <cstdint>
#include <string>

#include "google/protobuf/duration.pb.h"
#include "google/protobuf/repeated_field.h"

namespace strait::xds {

// Receives a validator's problems: `field` is the path from the resource being checked
// (e.g. "virtual_hosts[0].filters[1].cors.allow_origins[2]"), `reason` says what is wrong.
class FieldProblems {
 public:
  virtual void add(const std::string& field, const std::string& reason) = 0;

 protected:
  ~FieldProblems() = default;
};

// RFC 9110 token (a header field name).
bool isHeaderName(const std::string& name);
// No CR, LF or NUL.
bool isHeaderValue(const std::string& value);
// seconds/nanos in range and of the same sign.
bool isValidDuration(const google::protobuf::Duration& d);
int64_t toNanos(const google::protobuf::Duration& d);
// An IPv4 or IPv6 address literal.
bool isIpLiteral(const std::string& address);
// "10.0.0.0/8", "::1/128" or a bare address.
bool isCidr(const std::string& cidr);
// "" if `pattern` compiles with RE2, else the RE2 error.
std::string regexError(const std::string& pattern);

// Each of `methods` is a known HTTP method.
void checkMethods(FieldProblems& problems, const std::string& base,
                  const google::protobuf::RepeatedPtrField<std::string>& methods);
// Each of `names` is a header name.
void checkHeaderNames(FieldProblems& problems, const std::string& base,
                      const google::protobuf::RepeatedPtrField<std::string>& names);
// `pattern` compiles with RE2.
void checkRegex(FieldProblems& problems, const std::string& field, const std::string& pattern);

}  // namespace strait::xds
