#include "sidecar/http/stream_info.h"

namespace strait::http {
namespace {

struct FlagInfo {
  std::string_view name;
  FailureSource source;
  bool retryable;
};

constexpr FlagInfo kFlags[] = {
    {"-", FailureSource::kNone, false},
    {"no_route", FailureSource::kLocal, false},
    {"denied", FailureSource::kLocal, false},
    {"bad_request", FailureSource::kDownstream, false},
    {"listener_draining", FailureSource::kLocal, false},
    {"cluster_not_found", FailureSource::kLocal, false},
    {"no_healthy_upstream", FailureSource::kLocal, false},
    {"overflow", FailureSource::kLocal, false},
    {"upstream_connect_failure", FailureSource::kUpstream, true},
    {"upstream_connect_timeout", FailureSource::kUpstream, true},
    {"upstream_reset", FailureSource::kUpstream, true},
    {"upstream_protocol_error", FailureSource::kUpstream, false},
    {"upstream_request_timeout", FailureSource::kUpstream, false},
    {"upstream_per_try_timeout", FailureSource::kUpstream, true},
    {"stream_idle_timeout", FailureSource::kLocal, false},
    {"max_stream_duration", FailureSource::kLocal, false},
    {"retry_body_too_large", FailureSource::kLocal, false},
    {"downstream_disconnect", FailureSource::kDownstream, false},
    {"rate_limited", FailureSource::kLocal, false},
    {"filter_reply", FailureSource::kLocal, false},
    {"overloaded", FailureSource::kLocal, false},
    {"request_timeout", FailureSource::kDownstream, false},
};
static_assert(sizeof(kFlags) / sizeof(kFlags[0]) == static_cast<size_t>(ResponseFlag::kCount),
              "one entry per ResponseFlag");

const FlagInfo& info(ResponseFlag flag) {
  size_t i = static_cast<size_t>(flag);
  return kFlags[i < static_cast<size_t>(ResponseFlag::kCount) ? i : 0];
}

}  // namespace

std::string_view responseFlagName(ResponseFlag flag) { return info(flag).name; }
FailureSource responseFlagSource(ResponseFlag flag) { return info(flag).source; }
bool responseFlagRetryable(ResponseFlag flag) { return info(flag).retryable; }

}  // namespace strait::http
