#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sidecar/filters/compression/compression_validate.h"

namespace strait::filters {
namespace {

using xds::isHeaderName;

struct Range {
  const char* field;  // under <base>.
  bool has;
  uint32_t value;
  uint32_t lo, hi;
};

// RFC 9110 media type without parameters: token "/" token, or token "/*".
bool isMediaRange(const std::string& t) {
  size_t slash = t.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == t.size()) return false;
  std::string type = t.substr(0, slash);
  std::string sub = t.substr(slash + 1);
  return type != "*" && isHeaderName(type) && (sub == "*" || isHeaderName(sub));
}

void checkEncodings(const strait::v1::Compression& c, const std::string& base, xds::FieldProblems& p) {
  std::set<std::string> seen;
  for (int i = 0; i < c.encodings_size(); ++i) {
    const std::string& e = c.encodings(i);
    const std::string field = absl::StrCat(base, ".encodings[", i, "]");
    if (e != "gzip" && e != "br" && e != "zstd") {
      p.add(field, "unknown encoding '" + e + "' (one of zstd, br, gzip)");
    } else if (!seen.insert(e).second) {
      p.add(field, "duplicate encoding '" + e + "'");
    }
  }
}

void checkContentTypes(const strait::v1::Compression& c, const std::string& base, xds::FieldProblems& p) {
  for (int i = 0; i < c.content_types_size(); ++i) {
    const std::string& t = c.content_types(i);
    if (!isMediaRange(t)) {
      p.add(absl::StrCat(base, ".content_types[", i, "]"),
             "invalid media type '" + t + "' (type/subtype or type/*, without parameters)");
    }
  }
}

}  // namespace

void validateCompression(const strait::v1::Compression& c, const std::string& base, xds::FieldProblems& p) {
  checkEncodings(c, base, p);
  checkContentTypes(c, base, p);
  const Range ranges[] = {
      {"gzip.level", c.gzip().has_level(), c.gzip().level(), 1, 9},
      {"gzip.window_bits", c.gzip().has_window_bits(), c.gzip().window_bits(), 9, 15},
      {"gzip.memory_level", c.gzip().has_memory_level(), c.gzip().memory_level(), 1, 9},
      {"brotli.quality", c.brotli().has_quality(), c.brotli().quality(), 0, 11},
      {"brotli.window_bits", c.brotli().has_window_bits(), c.brotli().window_bits(), 10, 24},
      {"zstd.level", c.zstd().has_level(), c.zstd().level(), 1, 19},
      {"zstd.window_log", c.zstd().has_window_log(), c.zstd().window_log(), 10, 23},
  };
  for (const Range& r : ranges) {
    if (r.has && (r.value < r.lo || r.value > r.hi)) {
      p.add(absl::StrCat(base, ".", r.field),
             absl::StrCat("must be between ", r.lo, " and ", r.hi, ", got ", r.value));
    }
  }
}

}  // namespace strait::filters
