#include "sidecar/router/path_normalizer.h"

#include "absl/strings/ascii.h"
#include "sidecar/http/text.h"

namespace strait::proxy {
namespace {

using http::hexValue;

bool isUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Step 1 of the rule: decode unreserved escapes, upper-case the others. False on an encoded
// slash or backslash when those are refused.
bool decodeUnreserved(std::string_view in, bool reject_encoded_slashes, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); i++) {
    int hi = -1, lo = -1;
    if (in[i] == '%' && i + 2 < in.size()) {
      hi = hexValue(in[i + 1]);
      lo = hexValue(in[i + 2]);
    }
    if (hi < 0 || lo < 0) {
      out->push_back(in[i]);
      continue;
    }
    unsigned char c = static_cast<unsigned char>(hi * 16 + lo);
    if ((c == '/' || c == '\\') && reject_encoded_slashes) return false;
    if (isUnreserved(c)) {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back('%');
      out->push_back(absl::ascii_toupper(in[i + 1]));
      out->push_back(absl::ascii_toupper(in[i + 2]));
    }
    i += 2;
  }
  return true;
}

std::string mergeSlashes(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string removeDotSegments(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./") {
      in.remove_prefix(2);
    } else if (in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../" || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      size_t last = out.rfind('/');
      out.resize(last == std::string::npos ? 0 : last);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t next = in.find('/', 1);
      if (next == std::string_view::npos) next = in.size();
      out.append(in.substr(0, next));
      in.remove_prefix(next);
    }
  }
  return out;
}

bool normalizePath(std::string* path, const PathNormalizationOptions& options) {
  if (path->empty() || (*path)[0] != '/') return true;
  std::string decoded;
  if (!decodeUnreserved(*path, options.reject_encoded_slashes, &decoded)) return false;
  std::string result = removeDotSegments(decoded);
  if (options.merge_slashes) result = mergeSlashes(result);
  if (result.empty()) result = "/";
  *path = std::move(result);
  return true;
}

std::string percentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] == '%' && i + 2 < in.size() && hexValue(in[i + 1]) >= 0 && hexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

}  // namespace strait::proxy
