#include "sidecar/net/block_cache.h"

#include <array>
#include <vector>

namespace strait::net {
namespace {

constexpr int kClasses = 9;  // 4 KiB << 0 .. 4 KiB << 8 = 1 MiB

struct ThreadCache {
  std::array<std::vector<char*>, kClasses> free_blocks;
  size_t cached_bytes = 0;
  ~ThreadCache() {
    for (auto& list : free_blocks) {
      for (char* block : list) delete[] block;
    }
  }
};

thread_local ThreadCache t_cache;

// Size class of a capacity, or -1 if it is not a cached size.
int classOf(size_t capacity) {
  size_t size = BlockCache::kMinBlock;
  for (int c = 0; c < kClasses; c++, size <<= 1) {
    if (size == capacity) return c;
  }
  return -1;
}

}  // namespace

char* BlockCache::acquire(size_t size, size_t* capacity) {
  if (size > kMaxBlock) {
    *capacity = size;
    return new char[size];
  }
  size_t cap = kMinBlock;
  int c = 0;
  while (cap < size) {
    cap <<= 1;
    c++;
  }
  *capacity = cap;
  auto& list = t_cache.free_blocks[c];
  if (!list.empty()) {
    char* block = list.back();
    list.pop_back();
    t_cache.cached_bytes -= cap;
    return block;
  }
  return new char[cap];
}

void BlockCache::release(char* block, size_t capacity) {
  if (block == nullptr) return;
  int c = classOf(capacity);
  if (c < 0 || t_cache.cached_bytes + capacity > kMaxCachedBytes) {
    delete[] block;
    return;
  }
  t_cache.free_blocks[c].push_back(block);
  t_cache.cached_bytes += capacity;
}

}  // namespace strait::net
