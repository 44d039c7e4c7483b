// Per-thread cache of buffer storage blocks (power-of-two sizes, 4 KiB .. 1 MiB).
//
// Why hand-written: a Buffer frees its storage whenever it drains empty, so an idle
// keep-alive connection holds no memory; without this cache every socket read (a 64 KiB
// reservation) and most writes would be a malloc/free pair of a large chunk, which in glibc
// also triggers malloc_consolidate. The cache keeps a bounded number of free blocks per size
// on each thread (at most kMaxCachedBytes per thread), so the hot path reuses warm memory
// and idle connections still cost nothing.
// THREADS: thread-local state; a block may be released on another thread than the one
// that acquired it (it then joins that thread's cache or is freed).
#pragma once

#include <cstddef>

namespace strait::net {

class BlockCache {
 public:
  static constexpr size_t kMinBlock = 4096;
  static constexpr size_t kMaxBlock = 1024 * 1024;
  static constexpr size_t kMaxCachedBytes = 2 * 1024 * 1024;

  // Storage for at least `size` bytes; *capacity gets the block's real size (a power of
  // two >= kMinBlock, or `size` itself above kMaxBlock). Never returns nullptr (new[]).
  static char* acquire(size_t size, size_t* capacity);
  // Gives back a block from acquire() with its capacity.
  static void release(char* block, size_t capacity);
};

}  // namespace strait::net
