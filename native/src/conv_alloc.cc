// Output memory for the conv/pool/norm kernels, recycled instead of freshly mapped: a new
// 38 MB Float32Array costs ~20 ms of page faults on this machine (the kernel that fills it,
// ~4 ms). Blocks go back to a free list when V8 collects the array that owns them, so a
// block is reused only once no JS code can see it (dataSync() hands out the array itself).
// Node runs those finalizers on the event loop: a loop of synchronous steps gets nothing
// back until it yields, so at most kOutstandingCap bytes are handed out at once and beyond
// that the caller falls back to V8's own memory (pooledF32 returns undefined).
// New blocks are 2 MiB aligned and marked for transparent huge pages (THP is 'madvise' on
// Debian): 512x fewer page faults when a block is first touched.
#include "common.h"
#include <sys/mman.h>
#include <cstdlib>
#include <map>
#include <vector>

namespace distillery {
namespace {

constexpr size_t kAlign = 64;                 // a cache line; AVX-512 loads like it
constexpr size_t kPoolCap = size_t(1) << 30;         // at most 1 GiB parked in the free lists
constexpr size_t kOutstandingCap = size_t(1) << 30;  // at most 1 GiB handed out, not yet collected
constexpr size_t kHuge = size_t(2) << 20;            // a huge page

struct Pool {
  std::map<size_t, std::vector<void*>> free;  // by exact byte size: training repeats shapes
  size_t parked = 0;
  size_t outstanding = 0;
};

Pool& ThePool() {
  static Pool pool;
  return pool;
}

void Release(Napi::Env env, void* data, size_t* bytes) {
  Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(*bytes));
  Pool& p = ThePool();
  p.outstanding -= *bytes;
  if (p.parked + *bytes <= kPoolCap) {
    p.free[*bytes].push_back(data);
    p.parked += *bytes;
  } else {
    std::free(data);
  }
  delete bytes;
}

// pooledF32(n): a Float32Array of n elements (contents undefined) on recycled memory.
Napi::Value PooledF32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t n = static_cast<size_t>(num(info[0]));
  const size_t bytes = (n * sizeof(float) + kAlign - 1) / kAlign * kAlign;
  Pool& p = ThePool();
  if (p.outstanding + bytes > kOutstandingCap) return env.Undefined();
  void* data = nullptr;
  auto it = p.free.find(bytes);
  if (it != p.free.end() && !it->second.empty()) {
    data = it->second.back();
    it->second.pop_back();
    p.parked -= bytes;
  } else {
    const bool huge = bytes >= kHuge;
    const size_t total = huge ? (bytes + kHuge - 1) / kHuge * kHuge : bytes;
    data = std::aligned_alloc(huge ? kHuge : kAlign, total);
    if (data == nullptr) return env.Undefined();
    if (huge) madvise(data, total, MADV_HUGEPAGE);
  }
  p.outstanding += bytes;
  // V8 does not count external blocks towards its heap: without this it would not collect
  // the arrays (and free their blocks) until unrelated JS garbage triggered a GC
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, data, bytes, Release, new size_t(bytes));
  return Napi::Float32Array::New(env, n, buf, 0);
}

// pooledStats(): bytes parked in the free lists (for tests and benchmarks).
Napi::Value PooledStats(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ThePool().parked));
}

}  // namespace

void InitConvAlloc(Napi::Env env, Napi::Object exports) {
  exports.Set("pooledF32", Napi::Function::New(env, PooledF32));
  exports.Set("pooledStats", Napi::Function::New(env, PooledStats));
}

}  // namespace distillery
