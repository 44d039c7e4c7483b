// Trace context: W3C traceparent/tracestate and B3 single and multi read as the specs say,
// malformed input is "no context" (never an error), and what goes upstream carries our span
// in the caller's formats. The OTLP JSON of a span has hex ids and string-typed int64s.
#include "sidecar/tracing/trace_context.h"

#include <gtest/gtest.h>

#include "sidecar/tracing/span_exporter.h"

namespace strait::tracing {
namespace {

http::HeaderMap headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
  http::HeaderMap h;
  for (const auto& [k, v] : fields) h.add(k, v);
  return h;
}

TEST(TraceContext, W3c) {
  auto c = extract(headers({{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                            {"tracestate", "a=1,b=2"}}));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(toHex(c->trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(toHex(c->parent_span_id), "00f067aa0ba902b7");
  EXPECT_EQ(c->sampled, true);
  EXPECT_EQ(c->tracestate, "a=1,b=2");
  // A later version: its extra fields are ignored.
  EXPECT_TRUE(extract(headers({{"traceparent", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra"}})));
  for (const char* bad : {
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero span id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // version 00 has no more
           "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",   // short
           "", "garbage"}) {
    EXPECT_FALSE(extract(headers({{"traceparent", bad}})).has_value()) << bad;
  }
}

TEST(TraceContext, B3) {
  auto single = extract(headers({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90"}}));
  ASSERT_TRUE(single.has_value());
  EXPECT_EQ(single->format, TraceContext::Format::kB3Single);
  EXPECT_EQ(toHex(single->parent_span_id), "e457b5a2e4d86bd1");
  EXPECT_EQ(single->sampled, true);
  auto short_id = extract(headers({{"b3", "a3ce929d0e0e4736-e457b5a2e4d86bd1"}}));  // 64-bit trace id, no decision
  ASSERT_TRUE(short_id.has_value());
  EXPECT_EQ(toHex(short_id->trace_id), "0000000000000000a3ce929d0e0e4736");
  EXPECT_FALSE(short_id->sampled.has_value());
  EXPECT_FALSE(extract(headers({{"b3", "0"}})).has_value());  // a decision only
  EXPECT_FALSE(extract(headers({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-x"}})).has_value());
  auto multi = extract(headers({{"x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"},
                                {"x-b3-spanid", "e457b5a2e4d86bd1"}, {"x-b3-sampled", "0"}}));
  ASSERT_TRUE(multi.has_value());
  EXPECT_EQ(multi->format, TraceContext::Format::kB3Multi);
  EXPECT_EQ(multi->sampled, false);
  // traceparent wins over b3.
  auto both = extract(headers({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"},
                               {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}}));
  EXPECT_EQ(toHex(both->trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(TraceContext, InjectInTheCallersFormats) {
  auto c = *extract(headers({{"x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"},
                             {"x-b3-spanid", "e457b5a2e4d86bd1"}, {"x-b3-parentspanid", "1111111111111111"}}));
  http::HeaderMap h = headers({{"x-b3-parentspanid", "1111111111111111"}, {"tracestate", "stale"}});
  inject(c, 0x1234, true, &h);
  EXPECT_EQ(*h.get("traceparent"), "00-80f198ee56343ba864fe8b2a57d3eff7-0000000000001234-01");
  EXPECT_EQ(*h.get("x-b3-spanid"), "0000000000001234");
  EXPECT_EQ(*h.get("x-b3-sampled"), "1");
  EXPECT_EQ(h.get("x-b3-parentspanid"), nullptr);
  EXPECT_EQ(h.get("tracestate"), nullptr);
  EXPECT_EQ(h.get("b3"), nullptr);
}

TEST(SpanExporter, OtlpJson) {
  Span s;
  s.trace_id = {0x4bf92f3577b34da6, 0xa3ce929d0e0e4736};
  s.span_id = 0xab;
  s.parent_span_id = 0xcd;
  s.kind = Span::Kind::kClient;
  s.name = "api \"x\"";
  s.start_unix_ns = 1;
  s.end_unix_ns = 2;
  s.error = true;
  s.attributes.emplace_back("k", "v");
  s.int_attributes.emplace_back("n", 200);
  EXPECT_EQ(SpanExporter::encode("web", {s}),
            "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
            "{\"stringValue\":\"web\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"strait\"},\"spans\":[{"
            "\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00000000000000ab\","
            "\"parentSpanId\":\"00000000000000cd\",\"name\":\"api \\\"x\\\"\",\"kind\":3,"
            "\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\",\"attributes\":[{\"key\":\"k\",\"value\":"
            "{\"stringValue\":\"v\"}},{\"key\":\"n\",\"value\":{\"intValue\":\"200\"}}],\"status\":{\"code\":2}}]}]}]}");
}

}  // namespace
}  // namespace strait::tracing
