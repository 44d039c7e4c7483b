// Encoders for the HTTP/1.1 codec (contract in h1_codec.h). Kept apart from the parser so
// each file stays readable in one sitting.
#include <string>

#include "sidecar/http/h1_codec.h"

namespace strait::http {
namespace {

size_t fieldsSize(const HeaderMap& headers) {
  size_t n = 2;
  for (const HeaderField& f : headers.fields()) n += f.name.size() + f.value.size() + 4;
  return n;
}

void appendFields(const HeaderMap& headers, std::string* out) {
  for (const HeaderField& f : headers.fields()) {
    out->append(f.name).append(": ").append(f.value).append("\r\n");
  }
}

}  // namespace

void encodeRequestHead(const RequestHead& head, std::string* out) {
  out->reserve(out->size() + head.method.size() + head.target.size() + 12 + fieldsSize(head.headers));
  out->append(head.method).append(" ").append(head.target).append(" HTTP/1.1\r\n");
  appendFields(head.headers, out);
  out->append("\r\n");
}

void encodeResponseHead(const ResponseHead& head, std::string* out) {
  out->reserve(out->size() + 48 + head.reason.size() + fieldsSize(head.headers));
  out->append("HTTP/1.1 ").append(std::to_string(head.status)).append(" ");
  out->append(head.reason.empty() ? reasonPhrase(head.status) : std::string_view(head.reason));
  out->append("\r\n");
  appendFields(head.headers, out);
  out->append("\r\n");
}

void encodeChunk(const char* data, size_t len, std::string* out) {
  if (len == 0) return;  // a zero-size chunk would end the body
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[2 * sizeof(size_t)];
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 4) buf[n++] = kHex[v & 0xf];
  while (n > 0) out->push_back(buf[--n]);
  out->append("\r\n").append(data, len).append("\r\n");
}

void encodeLastChunk(const HeaderMap* trailers, std::string* out) {
  out->append("0\r\n");
  if (trailers != nullptr) appendFields(*trailers, out);
  out->append("\r\n");
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace strait::http
