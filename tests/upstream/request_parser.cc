#include "tests/upstream/request_parser.h"

#include <algorithm>
#include <cctype>

namespace strait::upstream {
namespace {

constexpr size_t kMaxChunkLine = 1024;

bool isTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses a non-empty run of decimal digits that fits in `limit`; false otherwise.
bool parseDecimal(std::string_view s, size_t limit, size_t* out) {
  if (s.empty() || s.size() > 18) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  if (v > limit) return false;
  *out = v;
  return true;
}

bool hexValue(char c, size_t* v) {
  if (c >= '0' && c <= '9') *v = static_cast<size_t>(c - '0');
  else if (c >= 'a' && c <= 'f') *v = static_cast<size_t>(c - 'a' + 10);
  else if (c >= 'A' && c <= 'F') *v = static_cast<size_t>(c - 'A' + 10);
  else return false;
  return true;
}

}  // namespace

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

void RequestParser::reset() {
  state_ = State::kHead;
  req_ = Request();
  remaining_ = 0;
  scanned_ = 0;
  error_status_ = 400;
}

RequestParser::Result RequestParser::fail(int status) {
  error_status_ = status;
  return Result::kError;
}

// Each step returns kNeedMore when it wants more input *or* made progress; the loop runs
// until a step neither consumes bytes nor changes state.
RequestParser::Result RequestParser::parse(const std::string& in, size_t* pos) {
  for (;;) {
    Result r = Result::kNeedMore;
    const State before = state_;
    const size_t before_pos = *pos;
    switch (state_) {
      case State::kHead: r = parseHead(in, pos); break;
      case State::kFixedBody: r = parseFixedBody(in, pos); break;
      case State::kChunkSize: r = parseChunkSize(in, pos); break;
      case State::kChunkData: r = parseChunkData(in, pos); break;
      case State::kChunkCrlf: r = parseChunkCrlf(in, pos); break;
      case State::kTrailers: r = parseTrailers(in, pos); break;
      case State::kDone: return Result::kComplete;
    }
    if (r == Result::kError) return r;
    if (state_ == State::kDone) return Result::kComplete;
    if (r == Result::kNeedMore && state_ == before && *pos == before_pos) return r;
  }
}

RequestParser::Result RequestParser::parseHead(const std::string& in, size_t* pos) {
  // Skip empty lines before a request (RFC 9112 section 2.2 allows at least one).
  while (in.compare(*pos, 2, "\r\n") == 0) *pos += 2;
  size_t from = *pos + (scanned_ > 3 ? scanned_ - 3 : 0);
  size_t end = in.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    scanned_ = in.size() - *pos;
    return scanned_ > kMaxHeadBytes ? fail(431) : Result::kNeedMore;
  }
  if (end - *pos > kMaxHeadBytes) return fail(431);
  std::string_view head(in.data() + *pos, end - *pos + 2);
  *pos = end + 4;
  size_t eol = head.find("\r\n");
  if (!parseRequestLine(head.substr(0, eol))) return fail(400);
  for (size_t start = eol + 2; start < head.size();) {
    size_t next = head.find("\r\n", start);
    if (!parseHeaderLine(head.substr(start, next - start))) return fail(400);
    start = next + 2;
  }
  if (!decideFraming()) return Result::kError;
  return Result::kComplete;
}

bool RequestParser::parseRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return false;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method) || target.empty()) return false;
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  if (version == "HTTP/1.1") req_.version_minor = 1;
  else if (version == "HTTP/1.0") req_.version_minor = 0;
  else return false;
  req_.request_line = std::string(line);
  req_.method = std::string(method);
  req_.target = std::string(target);
  size_t q = target.find('?');
  req_.path = std::string(target.substr(0, q));
  req_.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  return true;
}

bool RequestParser::parseHeaderLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) return false;
  std::string_view value = trim(line.substr(colon + 1));
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  req_.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return true;
}

// Chooses the body framing from Content-Length / Transfer-Encoding; sets error_status_.
bool RequestParser::decideFraming() {
  const std::string* cl = nullptr;
  const std::string* te = nullptr;
  for (const auto& [k, v] : req_.headers) {
    if (iequals(k, "content-length")) {
      if (cl != nullptr) return fail(400), false;
      cl = &v;
    } else if (iequals(k, "transfer-encoding")) {
      if (te != nullptr) return fail(400), false;
      te = &v;
    } else if (iequals(k, "connection")) {
      if (iequals(v, "close")) req_.keep_alive = false;
      if (iequals(v, "keep-alive")) req_.keep_alive = true;
    }
  }
  if (req_.version_minor == 0) {
    const std::string* c = req_.header("connection");
    req_.keep_alive = c != nullptr && iequals(*c, "keep-alive");
  }
  if (cl != nullptr && te != nullptr) return fail(400), false;
  if (te != nullptr) {
    if (!iequals(*te, "chunked")) return fail(501), false;
    state_ = State::kChunkSize;
    return true;
  }
  remaining_ = 0;
  if (cl != nullptr && !parseDecimal(*cl, SIZE_MAX, &remaining_)) return fail(400), false;
  state_ = remaining_ == 0 ? State::kDone : State::kFixedBody;
  return true;
}

void RequestParser::keepBody(const std::string& in, size_t pos, size_t n) {
  req_.body_bytes += n;
  size_t room = kMaxBodyBytes - std::min(kMaxBodyBytes, req_.body.size());
  req_.body.append(in, pos, std::min(n, room));
}

RequestParser::Result RequestParser::parseFixedBody(const std::string& in, size_t* pos) {
  size_t n = std::min(remaining_, in.size() - *pos);
  keepBody(in, *pos, n);
  *pos += n;
  remaining_ -= n;
  if (remaining_ == 0) state_ = State::kDone;
  return Result::kNeedMore;
}

RequestParser::Result RequestParser::parseChunkSize(const std::string& in, size_t* pos) {
  size_t eol = in.find("\r\n", *pos);
  if (eol == std::string::npos) {
    return in.size() - *pos > kMaxChunkLine ? fail(400) : Result::kNeedMore;
  }
  std::string_view line(in.data() + *pos, eol - *pos);
  if (line.size() > kMaxChunkLine) return fail(400);
  line = line.substr(0, line.find(';'));
  if (line.empty() || line.size() > 15) return fail(400);
  size_t size = 0;
  for (char c : line) {
    size_t v = 0;
    if (!hexValue(c, &v)) return fail(400);
    size = size * 16 + v;
  }
  *pos = eol + 2;
  remaining_ = size;
  state_ = size == 0 ? State::kTrailers : State::kChunkData;
  return Result::kNeedMore;
}

RequestParser::Result RequestParser::parseChunkData(const std::string& in, size_t* pos) {
  size_t n = std::min(remaining_, in.size() - *pos);
  keepBody(in, *pos, n);
  *pos += n;
  remaining_ -= n;
  if (remaining_ == 0) state_ = State::kChunkCrlf;
  return Result::kNeedMore;
}

RequestParser::Result RequestParser::parseChunkCrlf(const std::string& in, size_t* pos) {
  if (in.size() - *pos < 2) return Result::kNeedMore;
  if (in.compare(*pos, 2, "\r\n") != 0) return fail(400);
  *pos += 2;
  state_ = State::kChunkSize;
  return Result::kNeedMore;
}

// Trailer fields are validated for framing and kept as lines (echoed in a response header).
RequestParser::Result RequestParser::parseTrailers(const std::string& in, size_t* pos) {
  for (;;) {
    size_t eol = in.find("\r\n", *pos);
    if (eol == std::string::npos) {
      return in.size() - *pos > kMaxHeadBytes ? fail(431) : Result::kNeedMore;
    }
    if (eol == *pos) {
      *pos += 2;
      state_ = State::kDone;
      return Result::kComplete;
    }
    std::string_view line(in.data() + *pos, eol - *pos);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) return fail(400);
    req_.trailers.emplace_back(line);
    *pos = eol + 2;
  }
}

}  // namespace strait::upstream
