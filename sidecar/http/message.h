// The message vocabulary every codec and every room of the data path shares: request and
// response heads and how a body is framed, independent of the wire protocol. The HTTP/1.1
// codec parses into and encodes from these; the HTTP/2 codecs translate pseudo-headers to and
// from them (":authority" <-> "host", ":status" <-> status), so the router, the filters and
// the upstream side never ask which protocol a message came in on.
#pragma once

#include <cstdint>
#include <string>

#include "sidecar/http/headers.h"

namespace strait::http {

struct RequestHead {
  std::string method;        // e.g. "GET"
  std::string target;        // request-target as received, e.g. "/a/b?x=1"
  int version_minor = 1;     // 0 or 1 (HTTP/1.0 or HTTP/1.1)
  HeaderMap headers;         // all fields, names lower-case, including host
  bool keep_alive = true;    // from version and Connection header
  bool expect_continue = false;  // "Expect: 100-continue" was present
};

struct ResponseHead {
  int status = 200;
  std::string reason;        // reason phrase as received (may be empty)
  int version_minor = 1;
  HeaderMap headers;
  bool keep_alive = true;    // from version and Connection header
};

// How the body of a parsed message is delimited.
enum class BodyFraming {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding
  kUntilClose,     // response only: until the connection closes
};

struct ParseError {
  int status = 400;          // HTTP status to answer with (400, 413, 414, 431, 501, 505)
  std::string reason;        // short description for logs, e.g. "duplicate content-length"
};

// How the body of a message known by its head is framed when the protocol does not say
// (HTTP/2, a filter's response): none at end_stream, by content-length when present and
// valid, else chunked (HTTP/1.1 re-encodes it so).
void framingFromHead(const HeaderMap& headers, bool end_stream, BodyFraming* framing, uint64_t* length);

}  // namespace strait::http
