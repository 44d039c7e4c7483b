#include "sidecar/tracing/request_trace.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "sidecar/tracing/span_exporter.h"

namespace strait::tracing {
namespace {

uint64_t nonZero(absl::FunctionRef<uint64_t()> random) {
  uint64_t v = random();
  return v != 0 ? v : 1;
}

}  // namespace

std::shared_ptr<const TracingConfig> compileTracing(const std::string& collector_cluster, double sample_rate,
                                                    bool always_sample_errors) {
  auto c = std::make_shared<TracingConfig>();
  c->collector_cluster = collector_cluster;
  c->sample_threshold = sample_rate <= 0 ? 0 : sample_rate >= 1 ? UINT64_MAX : static_cast<uint64_t>(std::ldexp(sample_rate, 64));
  c->always_sample_errors = always_sample_errors;
  return c;
}

RequestTrace::RequestTrace(std::shared_ptr<const TracingConfig> config, const http::HeaderMap& headers,
                           absl::FunctionRef<uint64_t()> random, int64_t now_unix_ns)
    : config_(std::move(config)), start_unix_ns_(now_unix_ns) {
  if (auto incoming = extract(headers)) {
    context_ = std::move(*incoming);
  } else {
    context_.trace_id = TraceId{random(), nonZero(random)};
    context_.format = TraceContext::Format::kW3C;
  }
  // The caller's decision holds; otherwise ours, by the listener's rate.
  if (context_.sampled.has_value()) sampled_ = *context_.sampled;
  else sampled_ = config_->sample_threshold == UINT64_MAX || random() < config_->sample_threshold;
  server_span_id_ = nonZero(random);
}

void RequestTrace::startAttempt(uint64_t span_id, uint32_t attempt, std::string_view host, int64_t now_unix_ns,
                                http::HeaderMap* headers) {
  if (attempt_open_) endAttempt(now_unix_ns);
  Span s;
  s.trace_id = context_.trace_id;
  s.span_id = span_id != 0 ? span_id : 1;
  s.parent_span_id = server_span_id_;
  s.kind = Span::Kind::kClient;
  s.start_unix_ns = now_unix_ns;
  s.attributes.emplace_back("server.address", std::string(host));
  s.int_attributes.emplace_back("strait.attempt", attempt);
  attempts_.push_back(std::move(s));
  attempt_open_ = true;
  attempt_status_ = 0;
  attempt_flag_ = http::ResponseFlag::kNone;
  inject(context_, attempts_.back().span_id, sampled_, headers);
}

void RequestTrace::endAttempt(int64_t now_unix_ns) {
  attempt_open_ = false;
  Span& s = attempts_.back();
  s.end_unix_ns = now_unix_ns;
  if (attempt_status_ != 0) s.int_attributes.emplace_back("http.response.status_code", attempt_status_);
  if (attempt_flag_ != http::ResponseFlag::kNone) {
    s.attributes.emplace_back("strait.response_flags", std::string(http::responseFlagName(attempt_flag_)));
  }
  s.error = attempt_status_ >= 500 || attempt_flag_ != http::ResponseFlag::kNone;
}

void RequestTrace::finish(const http::StreamInfo& info, int64_t now_unix_ns) {
  if (attempt_open_) {
    if (attempt_status_ == 0 && info.response_code != 0 && info.first_upstream_byte_ms != 0) {
      attempt_status_ = info.response_code;
    }
    if (attempt_flag_ == http::ResponseFlag::kNone && info.failure != http::ResponseFlag::kNone) {
      attempt_flag_ = info.failure;
    }
    endAttempt(now_unix_ns);
  }
  if (!sampled_ && !(config_->always_sample_errors && info.failed())) return;
  std::string cluster_name(info.cluster_name);
  Span server;
  server.trace_id = context_.trace_id;
  server.span_id = server_span_id_;
  server.parent_span_id = context_.parent_span_id;
  server.kind = Span::Kind::kServer;
  server.name = info.route_name.empty() ? absl::StrCat(info.method.empty() ? "HTTP" : info.method, " ", std::string(info.listener))
                                        : std::string(info.route_name);
  server.start_unix_ns = start_unix_ns_;
  server.end_unix_ns = now_unix_ns;
  server.error = info.failed();
  auto& a = server.attributes;
  if (!info.method.empty()) a.emplace_back("http.request.method", info.method);
  if (!info.path.empty()) a.emplace_back("url.path", info.path.substr(0, info.path.find('?')));
  if (!info.authority.empty()) a.emplace_back("server.address", info.authority);
  a.emplace_back("network.protocol.name", std::string(info.protocol));
  a.emplace_back("client.address", info.client_ip);
  if (!info.route_name.empty()) a.emplace_back("strait.route", std::string(info.route_name));
  if (!cluster_name.empty()) a.emplace_back("strait.cluster", cluster_name);
  if (!info.upstream_host.empty()) a.emplace_back("strait.upstream_host", std::string(info.upstream_host));
  if (!info.peer_identity.empty()) a.emplace_back("strait.peer_identity", info.peer_identity);
  if (info.failure != http::ResponseFlag::kNone) {
    a.emplace_back("strait.response_flags", std::string(http::responseFlagName(info.failure)));
  }
  if (!info.request_id.empty()) a.emplace_back("strait.request_id", info.request_id);
  a.emplace_back("strait.listener", std::string(info.listener));
  server.int_attributes.emplace_back("http.response.status_code", info.response_code);
  server.int_attributes.emplace_back("strait.attempts", info.attempts);
  server.collector_cluster = config_->collector_cluster;
  for (Span& s : attempts_) {
    s.name = cluster_name.empty() ? "upstream" : cluster_name;
    if (!cluster_name.empty()) s.attributes.emplace_back("strait.cluster", cluster_name);
    s.collector_cluster = config_->collector_cluster;
    SpanExporter::submit(std::move(s));
  }
  attempts_.clear();
  SpanExporter::submit(std::move(server));
}

}  // namespace strait::tracing
