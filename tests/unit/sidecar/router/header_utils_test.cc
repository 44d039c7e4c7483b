// Connection-specific header removal (RFC 9110 7.6.1) and route header edits.
#include "sidecar/router/header_utils.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace strait::proxy {
namespace {

std::vector<std::pair<std::string, std::string>> list(const http::HeaderMap& h) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : h.fields()) out.emplace_back(f.name, f.value);
  return out;
}

TEST(StripHopByHop, RemovesConnectionSpecificFieldsAndTheOnesConnectionNames) {
  http::HeaderMap h;
  h.add("host", "a");
  h.add("connection", "keep-alive, X-Private , close");
  h.add("keep-alive", "timeout=5");
  h.add("x-private", "secret");
  h.add("proxy-connection", "keep-alive");
  h.add("transfer-encoding", "chunked");
  h.add("upgrade", "h2c");
  h.add("te", "trailers");
  h.add("accept", "*/*");
  stripHopByHop(h, /*keep_te_trailers=*/false);
  EXPECT_EQ(list(h), (std::vector<std::pair<std::string, std::string>>{{"host", "a"}, {"accept", "*/*"}}));
}

TEST(StripHopByHop, KeepsTeTrailersWhenAsked) {
  http::HeaderMap h;
  h.add("te", " Trailers ");
  h.add("content-type", "application/grpc");
  stripHopByHop(h, /*keep_te_trailers=*/true);
  EXPECT_EQ(list(h), (std::vector<std::pair<std::string, std::string>>{{"content-type", "application/grpc"},
                                                                        {"te", "trailers"}}));
  http::HeaderMap g;
  g.add("te", "gzip");
  stripHopByHop(g, /*keep_te_trailers=*/true);
  EXPECT_EQ(g.size(), 0u);
}

TEST(StripHopByHop, LeavesOrdinaryHeadersAlone) {
  http::HeaderMap h;
  h.add("host", "a");
  h.add("cookie", "x=1");
  h.add("cookie", "y=2");
  stripHopByHop(h, true);
  EXPECT_EQ(h.size(), 3u);
}

}  // namespace
}  // namespace strait::proxy
