// HTTP/1.1 codec (RFC 9112): an incremental parser for requests or responses, and
// encoders for heads and chunked bodies. No I/O: bytes in through execute(), events out
// through CodecCallbacks (codec.h; every message on stream kH1Stream), output encoded into a std::string.
//
// Hand-written rather than a library because it is the hot path and the security boundary:
// it must refuse every ambiguous framing (request smuggling) instead of guessing.
//
// STRICTNESS (request mode; every violation -> onError(400 unless noted), parser dead):
//  - request line "METHOD SP request-target SP HTTP/1.x CRLF"; method a token; target
//    origin-form ("/..."), absolute-form, authority-form (CONNECT only) or "*" (OPTIONS);
//    no control chars / spaces in the target; version HTTP/1.0 or HTTP/1.1 only (else 505);
//  - request line longer than limits.max_request_line -> 414;
//  - total head (request line + headers) larger than limits.max_head_bytes -> 431;
//  - header field "name: value": name a token, no whitespace before the colon;
//    obs-fold (a line starting with SP/HTAB) rejected; CR, LF or NUL inside a value rejected;
//    bare LF as line terminator rejected (CRLF only);
//  - Content-Length: digits only, no sign, no list ("5, 5"), no two Content-Length fields
//    (even with equal values); value must fit in 63 bits;
//  - Transfer-Encoding together with Content-Length rejected; Transfer-Encoding whose final
//    coding is not exactly "chunked" (case-insensitive) rejected with 501 for unknown codings
//    and 400 for a list not ending in chunked; more than one Transfer-Encoding field rejected;
//  - HTTP/1.1 request without a Host field, or with more than one, rejected;
//  - chunk-size: hex digits only (at most 15), optional chunk-extension after ';' (skipped,
//    bounded by max_head_bytes), CRLF required after size and after data; trailers
//    parsed like headers and delivered via onTrailers.
// Response mode applies the same field rules; a response without Content-Length or chunked
// is delimited by connection close (call finish() on EOF); 1xx, 204, 304 and responses to
// HEAD have no body.
//
// FLOW: execute() stops consuming right after a message completes (onMessageComplete) and
// returns the bytes consumed; the caller calls execute() again (with the rest) when ready
// for the next message (this gives pipelining backpressure). 1xx interim responses are
// reported with onResponseHead and parsing continues with the final response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sidecar/http/headers.h"
#include "sidecar/http/codec.h"
#include "sidecar/http/message.h"

namespace strait::http {

struct H1Limits {
  size_t max_request_line = 8192;    // bytes, excluding CRLF
  size_t max_head_bytes = 64 * 1024; // request/status line + all fields
  size_t max_headers = 100;          // number of fields (more -> 431)
};

class H1Parser {
 public:
  enum class Mode { kRequest, kResponse };
  H1Parser(Mode mode, CodecCallbacks* callbacks, H1Limits limits = {});

  // Consumes bytes. Returns how many were consumed; stops after onMessageComplete or
  // onError. Bytes not consumed must be passed again (with more appended) later. A partial
  // line (head, chunk size, trailer) is copied into the parser and counted as consumed, so in
  // practice only bytes after a completed message are left over. Body bytes are never
  // copied: onBody() points into `data`.
  // After onMessageComplete, execute() consumes nothing until reset() is called; reset() is
  // REQUIRED before the next message. After onError it returns the bytes consumed before
  // the error was detected (informational only) and consumes nothing on later calls.
  // Callbacks must not destroy the parser; they may call reset() only from
  // onMessageComplete (parsing still stops at that point).
  size_t execute(const char* data, size_t len);
  // Response mode: tells the parser the next response answers a HEAD request. The flag is
  // sticky: reset() keeps it, so set it again for every request sent.
  void expectHeadResponse(bool head) { head_response_ = head; }
  // EOF from the peer. Completes a kUntilClose body (onMessageComplete); returns false if a
  // message was cut short (the caller treats it as a truncated message; the parser is then
  // failed() without an onError call). Returns true when no message was in progress.
  bool finish();
  // True between the first byte of a message and its completion.
  bool inMessage() const;
  // After an error.
  bool failed() const;
  // Ready for the next message on the same connection (after onMessageComplete). Required
  // before every message but the first. Does not revive a failed() parser.
  void reset();

 private:
  enum class State : uint8_t {
    kStartLine,   // request line / status line (leading empty lines skipped in request mode)
    kHeaders,     // header fields until the empty line
    kBody,        // content-length body; remaining_ bytes left
    kChunkSize,   // chunk-size [; ext] CRLF
    kChunkData,   // remaining_ bytes of the current chunk
    kChunkCr,     // CR after chunk data
    kChunkLf,     // LF after chunk data
    kTrailers,    // trailer fields after the last chunk
    kUntilClose,  // response body delimited by connection close
    kComplete,    // message done; waiting for reset()
    kDead,        // error reported
  };
  struct FieldSummary;

  const char* consumeLine(const char* p, const char* end);
  bool checkLineLength(size_t len);
  void handleLine(std::string_view line);
  void handleStartLine(std::string_view line);
  bool parseRequestLine(std::string_view line);
  bool parseStatusLine(std::string_view line);
  bool parseField(std::string_view line, HeaderMap* map);
  void headComplete();
  void requestHeadComplete(const FieldSummary& s);
  void responseHeadComplete(const FieldSummary& s);
  bool summarize(const HeaderMap& headers, int version_minor, FieldSummary* s);
  bool bodyFraming(const FieldSummary& s, BodyFraming* framing, uint64_t* length);
  bool startBody(BodyFraming framing, uint64_t length);
  void parseChunkSize(std::string_view line);
  void trailersComplete();
  const char* consumeBody(const char* p, const char* end);
  const char* consumeChunkCrlf(const char* p);
  void complete();
  void fail(int status, const char* reason);

  Mode mode_;
  CodecCallbacks* callbacks_;
  H1Limits limits_;
  bool head_response_ = false;  // next response answers a HEAD request
  State state_ = State::kStartLine;
  std::string line_;            // partial line being accumulated across execute() calls
  size_t head_bytes_ = 0;       // head (or trailer) bytes so far, line terminators excluded
  size_t field_count_ = 0;      // fields in the current head (or trailer section)
  uint64_t remaining_ = 0;      // body bytes left in the content-length body or current chunk
  RequestHead request_;         // head being parsed (request mode)
  ResponseHead response_;       // head being parsed (response mode)
  HeaderMap trailers_;          // trailers being parsed
  bool in_message_ = false;     // a byte of the current message has been consumed
  bool stop_ = false;           // execute() must return now (message complete or error)
};

// Encoders: append to `out`. Heads end with the blank line.
void encodeRequestHead(const RequestHead& head, std::string* out);
void encodeResponseHead(const ResponseHead& head, std::string* out);
// One chunk (len > 0): "<hex>\r\n" + data + "\r\n".
void encodeChunk(const char* data, size_t len, std::string* out);
// Last chunk with optional trailers: "0\r\n" + trailers + "\r\n".
void encodeLastChunk(const HeaderMap* trailers, std::string* out);
// Canonical reason phrase for a status ("OK", "Not Found", ...; "Unknown" otherwise).
std::string_view reasonPhrase(int status);

}  // namespace strait::http
