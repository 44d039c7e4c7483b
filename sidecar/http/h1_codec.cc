#include "sidecar/http/h1_codec.h"

#include "sidecar/http/text.h"

#include <cstring>
#include <utility>

namespace strait::http {
namespace {

struct CharTable {
  bool v[256] = {};
  bool operator()(char c) const { return v[static_cast<unsigned char>(c)]; }
};

// tchar (RFC 9110 5.6.2).
constexpr CharTable makeTokenTable() {
  CharTable t;
  for (int c = '0'; c <= '9'; ++c) t.v[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t.v[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t.v[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t.v[static_cast<unsigned char>(c)] = true;
  return t;
}

// field-vchar, SP and HTAB: every CTL (NUL, CR, LF, ...) and DEL are refused.
constexpr CharTable makeFieldTable() {
  CharTable t;
  for (int c = 0x20; c < 256; ++c) t.v[c] = c != 0x7f;
  t.v[0x09] = true;  // HTAB
  return t;
}

// request-target bytes: visible ASCII only. Raw non-ASCII is not valid in a URI and is
// refused too (stricter than the header's "no control chars / spaces").
constexpr CharTable makeTargetTable() {
  CharTable t;
  for (int c = 0x21; c < 0x7f; ++c) t.v[c] = true;
  return t;
}

constexpr CharTable kToken = makeTokenTable();
constexpr CharTable kFieldChar = makeFieldTable();
constexpr CharTable kTargetChar = makeTargetTable();

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kToken(c)) return false;
  }
  return true;
}

bool allOf(std::string_view s, const CharTable& table) {
  for (char c : s) {
    if (!table(c)) return false;
  }
  return true;
}

// Calls fn(element) for each comma-separated element, OWS-trimmed.
template <typename Fn>
void forEachListElement(std::string_view list, Fn fn) {
  while (true) {
    size_t comma = list.find(',');
    fn(trimOws(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// 1*DIGIT fitting in 63 bits.
bool parseContentLength(std::string_view s, uint64_t* out) {
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (kMax - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// "HTTP/" DIGIT "." DIGIT. Returns 0 (ok, *minor set), 400 (malformed) or 505.
int parseVersion(std::string_view v, int* minor) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || !isDigit(v[5]) || v[6] != '.' ||
      !isDigit(v[7])) {
    return 400;
  }
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) return 505;
  *minor = v[7] - '0';
  return 0;
}

// authority-form for CONNECT: host ":" port, nothing else.
bool isAuthorityForm(std::string_view t) {
  size_t colon = t.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == t.size()) return false;
  if (t.find_first_of("/?#@") != std::string_view::npos) return false;
  for (char c : t.substr(colon + 1)) {
    if (!isDigit(c)) return false;
  }
  return t.size() - colon - 1 <= 5;
}

// absolute-form: scheme ":" ... (RFC 3986 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
bool isAbsoluteForm(std::string_view t) {
  size_t colon = t.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == t.size()) return false;
  if (lowerAscii(t[0]) < 'a' || lowerAscii(t[0]) > 'z') return false;
  for (char c : t.substr(0, colon)) {
    char l = lowerAscii(c);
    if (!((l >= 'a' && l <= 'z') || isDigit(c) || c == '+' || c == '-' || c == '.')) return false;
  }
  return true;
}

bool validTargetForm(std::string_view method, std::string_view target) {
  if (method == "CONNECT") return isAuthorityForm(target);
  if (target == "*") return method == "OPTIONS";
  if (target[0] == '/') return true;
  return isAbsoluteForm(target);
}

bool isKnownCoding(std::string_view c) {
  return equalsIgnoreCase(c, "gzip") || equalsIgnoreCase(c, "deflate") || equalsIgnoreCase(c, "compress") ||
         equalsIgnoreCase(c, "x-gzip") || equalsIgnoreCase(c, "x-compress");
}

struct TeResult {
  int status = 0;  // 0 ok (final coding chunked), 400 or 501
  const char* reason = nullptr;
};

// Accepts only "chunked" (once). Other registered codings get 501, like unknown ones.
// "identity" is not a registered coding any more (RFC 9112), so it counts as unknown.
TeResult parseTransferEncoding(std::string_view value) {
  TeResult r;
  bool chunked_seen = false;
  forEachListElement(value, [&](std::string_view element) {
    if (r.status != 0) return;
    size_t semi = element.find(';');
    std::string_view name = trimOws(element.substr(0, semi));
    if (element.empty()) {
      r = {400, "empty transfer-coding"};
    } else if (equalsIgnoreCase(name, "chunked")) {
      if (chunked_seen || semi != std::string_view::npos) r = {400, "bad chunked coding"};
      chunked_seen = true;
    } else if (!isKnownCoding(name)) {
      r = {501, "unknown transfer-coding"};
    } else {
      // A proxy that forwards the body re-chunked cannot carry other transfer-codings
      // without decoding them; refusing (like nginx) beats forwarding a mislabelled body.
      r = {501, "unsupported transfer-coding"};
    }
  });
  if (r.status == 0 && !chunked_seen) r = {400, "transfer-encoding not ending in chunked"};
  return r;
}

}  // namespace

// Framing-relevant facts collected in one pass over the fields.
struct H1Parser::FieldSummary {
  size_t host = 0;                              // number of host fields
  size_t content_length_fields = 0;             // number of content-length fields
  size_t transfer_encoding_fields = 0;          // number of transfer-encoding fields
  const std::string* content_length = nullptr;  // value of the content-length field
  const std::string* transfer_encoding = nullptr;
  bool close = false;                           // Connection: close
  bool keep_alive = false;                      // Connection: keep-alive
  bool expect_continue = false;                 // Expect: 100-continue
};

H1Parser::H1Parser(Mode mode, CodecCallbacks* callbacks, H1Limits limits)
    : mode_(mode), callbacks_(callbacks), limits_(limits) {}

bool H1Parser::failed() const { return state_ == State::kDead; }

bool H1Parser::inMessage() const {
  return in_message_ && state_ != State::kComplete && state_ != State::kDead;
}

void H1Parser::reset() {
  if (state_ == State::kDead) return;  // a failed connection cannot be reused
  state_ = State::kStartLine;
  line_.clear();
  head_bytes_ = 0;
  field_count_ = 0;
  remaining_ = 0;
  request_ = RequestHead{};
  response_ = ResponseHead{};
  trailers_.clear();
  in_message_ = false;
}

bool H1Parser::finish() {
  if (state_ == State::kDead) return false;
  if (state_ == State::kUntilClose) {
    complete();
    stop_ = false;
    return true;
  }
  if (!inMessage()) return true;
  state_ = State::kDead;  // truncated; the caller reports it
  return false;
}

size_t H1Parser::execute(const char* data, size_t len) {
  const char* p = data;
  const char* end = data + len;
  stop_ = false;
  while (p < end) {
    switch (state_) {
      case State::kComplete:
      case State::kDead:
        return static_cast<size_t>(p - data);
      case State::kBody:
      case State::kChunkData:
        p = consumeBody(p, end);
        break;
      case State::kChunkCr:
      case State::kChunkLf:
        p = consumeChunkCrlf(p);
        break;
      case State::kUntilClose:
        callbacks_->onBody(kH1Stream, p, static_cast<size_t>(end - p));
        p = end;
        break;
      default:
        p = consumeLine(p, end);
        break;
    }
    if (stop_) break;
  }
  stop_ = false;
  return static_cast<size_t>(p - data);
}

const char* H1Parser::consumeBody(const char* p, const char* end) {
  size_t n = static_cast<size_t>(end - p);
  if (remaining_ < n) n = static_cast<size_t>(remaining_);
  remaining_ -= n;
  bool message_done = remaining_ == 0 && state_ == State::kBody;
  if (remaining_ == 0 && state_ == State::kChunkData) state_ = State::kChunkCr;
  callbacks_->onBody(kH1Stream, p, n);
  if (message_done) complete();
  return p + n;
}

const char* H1Parser::consumeChunkCrlf(const char* p) {
  char want = state_ == State::kChunkCr ? '\r' : '\n';
  if (*p != want) {
    fail(400, "missing CRLF after chunk data");
    return p;
  }
  state_ = state_ == State::kChunkCr ? State::kChunkLf : State::kChunkSize;
  return p + 1;
}

// Line states: finds the LF with memchr; a line split across calls is kept in line_.
const char* H1Parser::consumeLine(const char* p, const char* end) {
  if (state_ == State::kStartLine) in_message_ = true;
  const char* nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
  if (nl == nullptr) {
    line_.append(p, static_cast<size_t>(end - p));
    bool trailing_cr = !line_.empty() && line_.back() == '\r';
    checkLineLength(line_.size() - (trailing_cr ? 1 : 0));
    return end;
  }
  std::string_view line(p, static_cast<size_t>(nl - p));
  if (!line_.empty()) {
    line_.append(p, static_cast<size_t>(nl - p));
    line = line_;
  }
  bool crlf = !line.empty() && line.back() == '\r';
  if (crlf) line.remove_suffix(1);
  // Length first so that the error does not depend on how the input was split.
  if (!checkLineLength(line.size())) return nl;
  if (!crlf) {
    fail(400, "bare LF line terminator");
    return nl;
  }
  handleLine(line);
  line_.clear();
  return nl + 1;
}

// Limits are checked on partial lines too, so an endless line is refused early.
bool H1Parser::checkLineLength(size_t len) {
  switch (state_) {
    case State::kStartLine:
      if (len > limits_.max_request_line) {
        fail(414, "request line too long");
        return false;
      }
      [[fallthrough]];
    case State::kHeaders:
    case State::kTrailers:
      if (head_bytes_ + len > limits_.max_head_bytes) {
        fail(431, "header section too large");
        return false;
      }
      return true;
    default:  // chunk-size line with extensions
      if (len > limits_.max_head_bytes) {
        fail(400, "chunk extension too long");
        return false;
      }
      return true;
  }
}

void H1Parser::handleLine(std::string_view line) {
  if (state_ != State::kChunkSize) head_bytes_ += line.size();
  switch (state_) {
    case State::kStartLine:
      return handleStartLine(line);
    case State::kHeaders:
      if (line.empty()) return headComplete();
      parseField(line, mode_ == Mode::kRequest ? &request_.headers : &response_.headers);
      return;
    case State::kChunkSize:
      return parseChunkSize(line);
    case State::kTrailers:
      if (line.empty()) return trailersComplete();
      parseField(line, &trailers_);
      return;
    default:
      return;
  }
}

void H1Parser::handleStartLine(std::string_view line) {
  if (line.empty() && mode_ == Mode::kRequest) {
    // RFC 9112 2.2: empty lines before a request line are ignored. They count against the
    // head limit so an endless stream of them is still refused.
    head_bytes_ += 2;
    in_message_ = false;
    return;
  }
  bool ok = mode_ == Mode::kRequest ? parseRequestLine(line) : parseStatusLine(line);
  if (ok) state_ = State::kHeaders;
}

bool H1Parser::parseRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    fail(400, "malformed request line");
    return false;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  int status = parseVersion(line.substr(sp2 + 1), &request_.version_minor);
  if (status != 0) {
    fail(status, status == 505 ? "unsupported http version" : "malformed http version");
    return false;
  }
  if (!isToken(method)) {
    fail(400, "invalid method");
    return false;
  }
  if (target.empty() || !allOf(target, kTargetChar) || !validTargetForm(method, target)) {
    fail(400, "invalid request target");
    return false;
  }
  request_.headers.reserve(16);  // one allocation for a typical request
  request_.method.assign(method);
  request_.target.assign(target);
  return true;
}

bool H1Parser::parseStatusLine(std::string_view line) {
  int minor = 1;
  bool ok = line.size() >= 12 && parseVersion(line.substr(0, 8), &minor) == 0 &&
            line[8] == ' ' && isDigit(line[9]) && isDigit(line[10]) && isDigit(line[11]) &&
            line[9] != '0' && (line.size() == 12 || line[12] == ' ');
  std::string_view reason = line.size() > 13 ? line.substr(13) : std::string_view();
  if (!ok || !allOf(reason, kFieldChar)) {
    fail(502, "malformed status line");
    return false;
  }
  response_.headers.reserve(8);
  response_.version_minor = minor;
  response_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  response_.reason.assign(reason);
  return true;
}

bool H1Parser::parseField(std::string_view line, HeaderMap* map) {
  if (isOws(line[0])) {
    fail(400, "obs-fold or leading whitespace in field line");
    return false;
  }
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  if (colon == std::string_view::npos || name.empty()) {
    fail(400, "malformed field line");
    return false;
  }
  if (isOws(name.back())) {
    fail(400, "whitespace before colon");
    return false;
  }
  std::string_view value = trimOws(line.substr(colon + 1));
  if (!isToken(name) || !allOf(value, kFieldChar)) {
    fail(400, isToken(name) ? "invalid character in field value" : "invalid field name");
    return false;
  }
  if (++field_count_ > limits_.max_headers) {
    fail(431, "too many header fields");
    return false;
  }
  map->add(lowerAscii(name), std::string(value));
  return true;
}

bool H1Parser::summarize(const HeaderMap& headers, int version_minor, FieldSummary* s) {
  for (const HeaderField& f : headers.fields()) {
    std::string_view n = f.name;
    // Most fields are none of these: a length check rules them out without a compare.
    if (n.size() != 4 && n.size() != 6 && n.size() != 10 && n.size() != 14 && n.size() != 17) continue;
    if (n == "host") {
      ++s->host;
    } else if (n == "content-length") {
      ++s->content_length_fields;
      s->content_length = &f.value;
    } else if (n == "transfer-encoding") {
      ++s->transfer_encoding_fields;
      s->transfer_encoding = &f.value;
    } else if (n == "connection") {
      forEachListElement(f.value, [s](std::string_view token) {
        if (equalsIgnoreCase(token, "close")) s->close = true;
        if (equalsIgnoreCase(token, "keep-alive")) s->keep_alive = true;
      });
    } else if (n == "expect") {
      s->expect_continue = s->expect_continue || equalsIgnoreCase(f.value, "100-continue");
    }
  }
  if (s->content_length_fields > 1 || s->transfer_encoding_fields > 1) {
    fail(400, s->content_length_fields > 1 ? "duplicate content-length"
                                           : "duplicate transfer-encoding");
    return false;
  }
  if (s->content_length && s->transfer_encoding) {
    fail(400, "both transfer-encoding and content-length");
    return false;
  }
  if (s->transfer_encoding && version_minor == 0 && mode_ == Mode::kRequest) {
    fail(400, "transfer-encoding in http/1.0 request");  // RFC 9112 6.1
    return false;
  }
  return true;
}

// Framing from the fields alone; the status/method overrides are applied by the caller.
bool H1Parser::bodyFraming(const FieldSummary& s, BodyFraming* framing, uint64_t* length) {
  *length = 0;
  if (s.transfer_encoding) {
    TeResult te = parseTransferEncoding(*s.transfer_encoding);
    if (te.status != 0) {
      fail(te.status, te.reason);
      return false;
    }
    *framing = BodyFraming::kChunked;
    return true;
  }
  if (s.content_length) {
    if (!parseContentLength(*s.content_length, length)) {
      fail(400, "invalid content-length");
      return false;
    }
    *framing = BodyFraming::kContentLength;
    return true;
  }
  *framing = mode_ == Mode::kRequest ? BodyFraming::kNone : BodyFraming::kUntilClose;
  return true;
}

void H1Parser::headComplete() {
  FieldSummary s;
  if (mode_ == Mode::kRequest) {
    if (summarize(request_.headers, request_.version_minor, &s)) requestHeadComplete(s);
  } else {
    if (summarize(response_.headers, response_.version_minor, &s)) responseHeadComplete(s);
  }
}

void H1Parser::requestHeadComplete(const FieldSummary& s) {
  bool http11 = request_.version_minor == 1;
  if (s.host > 1 || (http11 && s.host == 0)) {
    fail(400, s.host > 1 ? "duplicate host" : "missing host");
    return;
  }
  BodyFraming framing;
  uint64_t length;
  if (!bodyFraming(s, &framing, &length)) return;
  request_.keep_alive = http11 ? !s.close : (s.keep_alive && !s.close);
  // RFC 9110 10.1.1: a server ignores 100-continue in an HTTP/1.0 request.
  request_.expect_continue = http11 && s.expect_continue;
  bool has_body = startBody(framing, length);
  callbacks_->onRequestHead(kH1Stream, std::move(request_), framing, length);
  if (!has_body) complete();
}

void H1Parser::responseHeadComplete(const FieldSummary& s) {
  BodyFraming framing;
  uint64_t length;
  if (!bodyFraming(s, &framing, &length)) return;
  int status = response_.status;
  bool interim = status < 200 && status != 101;
  if (status < 200 || status == 204 || status == 304 || head_response_) {
    framing = BodyFraming::kNone;
    length = 0;
  }
  bool http11 = response_.version_minor == 1;
  response_.keep_alive = (http11 ? !s.close : (s.keep_alive && !s.close)) &&
                         framing != BodyFraming::kUntilClose;
  if (interim) {
    // 1xx: report it and parse the final response head in the same execute() call.
    state_ = State::kStartLine;
    head_bytes_ = 0;
    field_count_ = 0;
    ResponseHead head = std::move(response_);
    response_ = ResponseHead{};
    callbacks_->onResponseHead(kH1Stream, std::move(head), framing, length);
    return;
  }
  bool has_body = startBody(framing, length);
  callbacks_->onResponseHead(kH1Stream, std::move(response_), framing, length);
  if (!has_body) complete();
}

// Enters the body state before the head callback runs; returns false when there is no body
// (the caller completes the message right after the head callback).
bool H1Parser::startBody(BodyFraming framing, uint64_t length) {
  remaining_ = length;
  switch (framing) {
    case BodyFraming::kNone:
      break;
    case BodyFraming::kContentLength:
      if (length == 0) break;
      state_ = State::kBody;
      return true;
    case BodyFraming::kChunked:
      state_ = State::kChunkSize;
      return true;
    case BodyFraming::kUntilClose:
      state_ = State::kUntilClose;
      return true;
  }
  state_ = State::kComplete;
  return false;
}

// chunk-size = 1*15HEXDIG, then nothing or ";" chunk-ext (skipped). No whitespace allowed.
void H1Parser::parseChunkSize(std::string_view line) {
  size_t digits = 0;
  uint64_t size = 0;
  for (; digits < line.size() && hexValue(line[digits]) >= 0; ++digits) {
    size = size * 16 + static_cast<uint64_t>(hexValue(line[digits]));
  }
  std::string_view rest = line.substr(digits);
  bool ok = digits > 0 && digits <= 15 && (rest.empty() || rest[0] == ';') &&
            allOf(rest, kFieldChar);
  if (!ok) {
    fail(400, "invalid chunk size");
    return;
  }
  if (size == 0) {
    state_ = State::kTrailers;
    head_bytes_ = 0;
    field_count_ = 0;
    return;
  }
  remaining_ = size;
  state_ = State::kChunkData;
}

void H1Parser::trailersComplete() {
  // Framing fields in trailers could be merged into the head by a careless peer.
  if (trailers_.count("content-length") || trailers_.count("transfer-encoding")) {
    fail(400, "framing field in trailers");
    return;
  }
  if (trailers_.size() != 0) callbacks_->onTrailers(kH1Stream, std::move(trailers_));
  trailers_.clear();
  complete();
}

void H1Parser::complete() {
  state_ = State::kComplete;
  in_message_ = false;
  stop_ = true;
  callbacks_->onMessageComplete(kH1Stream);
}

void H1Parser::fail(int status, const char* reason) {
  // Upstream garbage is answered downstream with 502 whatever the cause.
  if (mode_ == Mode::kResponse) status = 502;
  state_ = State::kDead;
  stop_ = true;
  line_.clear();
  callbacks_->onError(kH1Stream, ParseError{status, reason});
}

}  // namespace strait::http
