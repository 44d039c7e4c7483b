// RFC 9111 rules of the cache filter, with explicit times (no clock), plus store limits and
// config validation.
#include "sidecar/filters/cache/cache_policy.h"

#include <gtest/gtest.h>

#include "sidecar/filters/cache/cache_filter.h"
#include "sidecar/filters/cache/cache_store.h"

namespace strait::filters::cache {
namespace {

http::HeaderMap headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
  http::HeaderMap h;
  for (const auto& [k, v] : fields) h.add(k, v);
  return h;
}

constexpr int64_t kNow = 1700000000;

TEST(CachePolicy, ParsesDirectives) {
  CacheControl cc = parseCacheControl(headers({{"cache-control", "public, max-age=60, s-maxage=\"30\""},
                                               {"cache-control", "stale-if-error=5, proxy-revalidate"}}));
  EXPECT_TRUE(cc.is_public);
  EXPECT_EQ(cc.max_age, 60);
  EXPECT_EQ(cc.s_maxage, 30);
  EXPECT_EQ(cc.stale_if_error, 5);
  EXPECT_TRUE(cc.must_revalidate);
  EXPECT_EQ(parseCacheControl(headers({{"cache-control", "max-age=abc"}})).max_age, 0);  // invalid: stale
  EXPECT_EQ(parseCacheControl(headers({{"cache-control", "max-stale"}})).max_stale, CacheControl::kAnyStale);
  EXPECT_TRUE(parseRequestCacheControl(headers({{"pragma", "no-cache"}})).no_cache);
}

TEST(CachePolicy, HttpDates) {
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_EQ(parseHttpDate("yesterday"), -1);
  EXPECT_EQ(formatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(CachePolicy, Storability) {
  http::HeaderMap req;
  CacheControl none;
  auto storable = [&](int status, http::HeaderMap resp, const http::HeaderMap& request) {
    return responseStorable(request, none, status, resp, parseCacheControl(resp), nullptr);
  };
  EXPECT_TRUE(storable(200, headers({}), req));
  EXPECT_TRUE(storable(404, headers({}), req));
  EXPECT_FALSE(storable(302, headers({}), req));  // not heuristically cacheable
  EXPECT_TRUE(storable(302, headers({{"cache-control", "max-age=5"}}), req));
  EXPECT_FALSE(storable(206, headers({{"cache-control", "max-age=5"}}), req));
  EXPECT_FALSE(storable(200, headers({{"cache-control", "no-store"}}), req));
  EXPECT_FALSE(storable(200, headers({{"cache-control", "private"}}), req));
  EXPECT_FALSE(storable(200, headers({{"set-cookie", "a=b"}}), req));
  EXPECT_FALSE(storable(200, headers({{"vary", "*"}}), req));
  http::HeaderMap auth = headers({{"authorization", "Bearer x"}});
  EXPECT_FALSE(storable(200, headers({{"cache-control", "max-age=5"}}), auth));
  EXPECT_TRUE(storable(200, headers({{"cache-control", "public, max-age=5"}}), auth));
  EXPECT_TRUE(storable(200, headers({{"cache-control", "s-maxage=5"}}), auth));
  EXPECT_TRUE(storable(200, headers({{"cache-control", "must-revalidate"}}), auth));
  CacheControl req_no_store;
  req_no_store.no_store = true;
  EXPECT_FALSE(responseStorable(req, req_no_store, 200, headers({}), CacheControl(), nullptr));
}

TEST(CachePolicy, FreshnessLifetime) {
  auto lifetime = [](int status, http::HeaderMap h) {
    return freshnessLifetime(status, h, parseCacheControl(h), kNow, 86400);
  };
  EXPECT_EQ(lifetime(200, headers({{"cache-control", "max-age=60, s-maxage=10"}})), 10);
  EXPECT_EQ(lifetime(200, headers({{"cache-control", "max-age=60"}})), 60);
  EXPECT_EQ(lifetime(200, headers({{"date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                   {"expires", "Sun, 06 Nov 1994 08:59:37 GMT"}})), 600);
  EXPECT_EQ(lifetime(200, headers({{"expires", "0"}})), 0);
  // Heuristic: 10% of date - last-modified, capped.
  EXPECT_EQ(lifetime(200, headers({{"date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                   {"last-modified", "Sun, 06 Nov 1994 08:32:57 GMT"}})), 100);
  EXPECT_EQ(lifetime(200, headers({{"last-modified", "Thu, 01 Jan 1970 00:00:00 GMT"}})), 86400);
  EXPECT_EQ(lifetime(302, headers({{"last-modified", "Thu, 01 Jan 1970 00:00:00 GMT"}})), 0);
  EXPECT_EQ(lifetime(200, headers({})), 0);
}

TEST(CachePolicy, Age) {
  // Received 2 s after the request, the origin said age 10 and a date 5 s before arrival.
  AgeInputs in = ageInputs(headers({{"age", "10"}, {"date", formatHttpDate(kNow - 5).c_str()}}), kNow - 2, kNow);
  EXPECT_EQ(in.date_value, kNow - 5);
  EXPECT_EQ(currentAge(in, kNow), 12);       // max(5, 10 + 2)
  EXPECT_EQ(currentAge(in, kNow + 30), 42);  // + resident time
  AgeInputs plain = ageInputs(headers({}), kNow, kNow);
  EXPECT_EQ(currentAge(plain, kNow + 7), 7);
}

TEST(CachePolicy, VaryKeys) {
  bool star = false;
  auto names = varyNames(headers({{"vary", "Accept-Language, accept-encoding"}, {"vary", "accept-language"}}), &star);
  ASSERT_EQ(names, (std::vector<std::string>{"accept-encoding", "accept-language"}));
  EXPECT_FALSE(star);
  varyNames(headers({{"vary", "*"}}), &star);
  EXPECT_TRUE(star);
  std::string en = varyKey(names, headers({{"accept-language", "en"}}));
  std::string fr = varyKey(names, headers({{"accept-language", "fr"}}));
  EXPECT_NE(en, fr);
  EXPECT_EQ(varyKey(names, headers({{"accept-language", "en, fr"}})),
            varyKey(names, headers({{"accept-language", "en,fr"}})));
  EXPECT_EQ(varyKey({}, headers({{"accept-language", "en"}})), "");
}

TEST(CachePolicy, Ranges) {
  auto r = parseRange("bytes=10-19", 100);
  EXPECT_EQ(r.kind, ByteRange::Kind::kSatisfiable);
  EXPECT_EQ(r.first, 10u);
  EXPECT_EQ(r.last, 19u);
  r = parseRange("bytes=90-", 100);
  EXPECT_EQ(r.last, 99u);
  r = parseRange("bytes=50-500", 100);
  EXPECT_EQ(r.last, 99u);
  r = parseRange("bytes=-30", 100);
  EXPECT_EQ(r.first, 70u);
  EXPECT_EQ(parseRange("bytes=100-", 100).kind, ByteRange::Kind::kUnsatisfiable);
  EXPECT_EQ(parseRange("bytes=-0", 100).kind, ByteRange::Kind::kUnsatisfiable);
  EXPECT_EQ(parseRange("bytes=1-2,5-6", 100).kind, ByteRange::Kind::kIgnore);
  EXPECT_EQ(parseRange("items=1-2", 100).kind, ByteRange::Kind::kIgnore);
  EXPECT_EQ(parseRange("bytes=5-1", 100).kind, ByteRange::Kind::kIgnore);
}

TEST(CachePolicy, Etags) {
  EXPECT_TRUE(etagMatches("\"a\", \"b\"", "\"b\""));
  EXPECT_TRUE(etagMatches("W/\"a\"", "\"a\""));
  EXPECT_TRUE(etagMatches("*", "\"a\""));
  EXPECT_FALSE(etagMatches("\"a\"", "\"c\""));
}

TEST(CacheStore, EvictsLeastRecentlyUsedAndDropsLargeObjects) {
  Store store;
  store.setLimits(2500, 1500);
  http::HeaderMap req;
  std::vector<std::shared_ptr<Entry>> entries;
  for (int i = 0; i < 3; i++) {
    bool inserted = false;
    auto e = store.lookup("h /" + std::to_string(i), req, true, &inserted);
    ASSERT_TRUE(inserted);
    ASSERT_TRUE(store.charge(e, 1000));
    entries.push_back(e);
    if (i == 1) {  // /0 used: /1 is older
      EXPECT_NE(store.lookup("h /0", req, false, nullptr), nullptr);
    }
  }
  EXPECT_EQ(store.bytes(), 2000u);
  EXPECT_NE(store.lookup("h /0", req, false, nullptr), nullptr);
  EXPECT_EQ(store.lookup("h /1", req, false, nullptr), nullptr);
  EXPECT_FALSE(store.charge(entries[2], 1000));  // 2000 > max_object_bytes
  EXPECT_EQ(store.lookup("h /2", req, false, nullptr), nullptr);
  EXPECT_EQ(store.invalidate("h /0"), 1u);
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(CacheConfig, ValidatesLimits) {
  strait::v1::Cache c;
  EXPECT_TRUE(validateCacheConfig(c).ok());
  c.set_max_bytes(1000);
  EXPECT_EQ(validateCacheConfig(c).message(), "cache.max_object_bytes: 1048576 must not exceed max_bytes (1000)");
  c.set_max_object_bytes(500);
  EXPECT_TRUE(validateCacheConfig(c).ok());
  c.set_max_bytes(uint64_t{65} << 30);
  EXPECT_EQ(validateCacheConfig(c).message(), "cache.max_bytes: 69793218560 is over the limit of 68719476736 (64 GiB)");
  c.set_max_bytes(0);
  c.set_status_header("X-Cache");
  EXPECT_EQ(validateCacheConfig(c).message(), "cache.status_header: 'X-Cache' is not a lower-case header name (a-z, 0-9, '-')");
}

}  // namespace
}  // namespace strait::filters::cache
