// Incremental HTTP/1.1 request parser for the test upstream. No I/O: the caller appends
// bytes to its input buffer and calls parse() again; parse() stops right after one
// complete request, so the caller decides when to look at the next (pipelined) one.
//
// Deliberately independent of sidecar/http: the test upstream must not share bugs with
// the code it is used to test. It is strict where framing is concerned (both
// Content-Length and Transfer-Encoding, bad lengths, bad chunk sizes -> error) and
// bounded (head <= 64 KiB, body kept <= 16 MiB: bigger bodies are read and counted but not
// kept) so bad input can never make it grow forever.
//
// Thread: one parser per connection, used by the connection's worker thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strait::upstream {

struct Request {
  std::string request_line;  // "GET /x?y=1 HTTP/1.1" as received (without CRLF)
  std::string method;        // request method
  std::string target;        // request-target as received
  std::string path;          // target without the query
  std::string query;         // text after '?', empty if none
  int version_minor = 1;     // 0 for HTTP/1.0, 1 for HTTP/1.1
  std::vector<std::pair<std::string, std::string>> headers;  // name as received, trimmed value
  std::string body;          // decoded body (chunked framing removed), first kMaxBodyBytes only
  uint64_t body_bytes = 0;   // decoded body size, all of it (larger bodies are counted, not kept)
  bool keep_alive = true;    // from version and Connection header
  std::vector<std::string> trailers;  // chunked trailer lines as received

  // Value of the first header named `name` (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

class RequestParser {
 public:
  enum class Result { kNeedMore, kComplete, kError };

  static constexpr size_t kMaxHeadBytes = 64 * 1024;
  static constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

  // Consumes bytes of `in` starting at *pos and advances *pos past what it used. Returns
  // kComplete once a whole request is parsed (then request() is valid until reset()),
  // kError on invalid input (then errorStatus() says which status to answer).
  Result parse(const std::string& in, size_t* pos);

  const Request& request() const { return req_; }
  int errorStatus() const { return error_status_; }
  // Prepares for the next request on the same connection.
  void reset();

 private:
  enum class State { kHead, kFixedBody, kChunkSize, kChunkData, kChunkCrlf, kTrailers, kDone };

  Result parseHead(const std::string& in, size_t* pos);
  bool parseRequestLine(std::string_view line);
  bool parseHeaderLine(std::string_view line);
  bool decideFraming();
  void keepBody(const std::string& in, size_t pos, size_t n);
  Result parseFixedBody(const std::string& in, size_t* pos);
  Result parseChunkSize(const std::string& in, size_t* pos);
  Result parseChunkData(const std::string& in, size_t* pos);
  Result parseChunkCrlf(const std::string& in, size_t* pos);
  Result parseTrailers(const std::string& in, size_t* pos);
  Result fail(int status);

  State state_ = State::kHead;
  Request req_;
  size_t remaining_ = 0;   // bytes left in the fixed body or the current chunk
  size_t scanned_ = 0;     // bytes of the head already searched for the terminator
  int error_status_ = 400;
};

}  // namespace strait::upstream
