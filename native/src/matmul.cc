// Matmul over oneDNN's matmul primitive (not dnnl_sgemm: it corrupts the heap under signals
// in oneDNN 2.6.3). Primitives are cached by shape, transposes, bias and activation, since
// creating one costs far more than running a small one.
#include "common.h"
#include <oneapi/dnnl/dnnl.hpp>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>
#include <omp.h>

namespace distillery {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// Per JS thread (main or worker_threads): oneDNN streams and this cache are not meant to be
// shared between threads that may call at the same time.
dnnl::engine& cpuEngine() {
  static thread_local dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}
dnnl::stream& cpuStream() {
  static thread_local dnnl::stream s(cpuEngine());
  return s;
}

// Activation codes shared with src/engine/native/matmul.ts.
enum Act { kLinear = 0, kRelu = 1, kRelu6 = 2, kSigmoid = 3, kElu = 4, kLeaky = 5 };

struct Entry {
  dnnl::matmul prim;
  memory::desc a, b, bias, c;
};

thread_local std::unordered_map<std::string, Entry> cache;

memory::desc md3(memory::dim d0, memory::dim d1, memory::dim d2, bool trans) {
  // A row-major [d0, d1, d2] operand, or its transpose stored as [d0, d2, d1].
  memory::dims strides = trans ? memory::dims{d1 * d2, 1, d1} : memory::dims{d1 * d2, d2, 1};
  return memory::desc({d0, d1, d2}, dt::f32, strides);
}

Entry& lookup(int64_t batchA, int64_t batchB, int64_t M, int64_t N, int64_t K, bool tA, bool tB, bool hasBias, int act,
              float alpha) {
  char key[192];
  std::snprintf(key, sizeof key, "%lld,%lld,%lld,%lld,%lld,%d%d%d,%d,%g", (long long)batchA, (long long)batchB,
                (long long)M, (long long)N, (long long)K, tA, tB, hasBias, act, alpha);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  // a search over many architectures meets many shapes; each primitive holds JIT code
  if (cache.size() >= 1024) cache.clear();
  const int64_t batch = batchA > batchB ? batchA : batchB;
  Entry e;
  e.a = md3(batchA, M, K, tA);
  e.b = md3(batchB, K, N, tB);
  e.c = memory::desc({batch, M, N}, dt::f32, tag::abc);
  e.bias = hasBias ? memory::desc({1, 1, N}, dt::f32, tag::abc) : memory::desc();
  dnnl::post_ops ops;
  switch (act) {
    case kRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case kRelu6: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); break;
    case kSigmoid: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); break;
    case kElu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); break;
    case kLeaky: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); break;
    default: break;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  dnnl::matmul::desc d = hasBias ? dnnl::matmul::desc(e.a, e.b, e.bias, e.c) : dnnl::matmul::desc(e.a, e.b, e.c);
  dnnl::matmul::primitive_desc pd(d, attr, cpuEngine());
  e.prim = dnnl::matmul(pd);
  return cache.emplace(key, std::move(e)).first->second;
}

// src holds `batch` row-major [rows, cols] matrices; dst gets each transposed, [cols, rows],
// in 32x32 tiles so that reads and writes both stay within a few cache lines.
void transposeInto(const float* src, float* dst, int64_t batch, int64_t rows, int64_t cols) {
  const int64_t tilesR = (rows + 31) / 32, tilesC = (cols + 31) / 32;
#pragma omp parallel for collapse(2) schedule(static) if (batch * rows * cols >= 65536)
  for (int64_t bt = 0; bt < batch * tilesR; bt++) {
    for (int64_t tc = 0; tc < tilesC; tc++) {
      const int64_t b = bt / tilesR, r0 = (bt % tilesR) * 32, c0 = tc * 32;
      const float* s = src + b * rows * cols;
      float* d = dst + b * rows * cols;
      const int64_t r1 = r0 + 32 < rows ? r0 + 32 : rows, c1 = c0 + 32 < cols ? c0 + 32 : cols;
      for (int64_t c = c0; c < c1; c++)
        for (int64_t r = r0; r < r1; r++) d[c * rows + r] = s[r * cols + c];
    }
  }
}

// matmul(a, b, out, batchA, batchB, M, N, K, transA, transB, bias | null, act, alpha): out =
// act(op(a) x op(b) + bias). Batches follow tfjs: equal, or one of them 1 (broadcast); any other
// pair repeats each operand modulo its batch, one 2-D product per output batch.
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  float* a = f32(info[0]);
  float* b = f32(info[1]);
  float* c = f32(info[2]);
  const int64_t batchA = num(info[3]), batchB = num(info[4]);
  const int64_t M = num(info[5]), N = num(info[6]), K = num(info[7]);
  const bool transA = info[8].ToBoolean(), tB = info[9].ToBoolean();
  const bool hasBias = info[10].IsTypedArray();
  float* bias = hasBias ? f32(info[10]) : nullptr;
  const int act = static_cast<int>(num(info[11]));
  const float alpha = static_cast<float>(dbl(info[12]));
  // oneDNN 2.6 runs a transposed A (the weight gradient x^T dy) at a third of the plain speed
  // (46 vs 120 GFLOP/s on 1200x128x1200); transposing A first costs O(MK) against O(MKN), a
  // bargain once N is not tiny (at N = 10 the copy costs more than it saves).
  static thread_local std::vector<float> scratch;
  const bool tA = transA && N < 64;
  if (transA && !tA) {
    scratch.resize(static_cast<size_t>(batchA * M * K));
    transposeInto(a, scratch.data(), batchA, K, M);
    a = scratch.data();
  }
  try {
    const bool direct = batchA == batchB || batchA == 1 || batchB == 1;
    if (direct) {
      Entry& e = lookup(batchA, batchB, M, N, K, tA, tB, hasBias, act, alpha);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(e.a, cpuEngine(), a)},
                                           {DNNL_ARG_WEIGHTS, memory(e.b, cpuEngine(), b)},
                                           {DNNL_ARG_DST, memory(e.c, cpuEngine(), c)}};
      if (hasBias) args.emplace(DNNL_ARG_BIAS, memory(e.bias, cpuEngine(), bias));
      e.prim.execute(cpuStream(), args);
    } else {
      Entry& e = lookup(1, 1, M, N, K, tA, tB, hasBias, act, alpha);
      memory ma(e.a, cpuEngine(), a), mb(e.b, cpuEngine(), b), mc(e.c, cpuEngine(), c);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
      if (hasBias) args.emplace(DNNL_ARG_BIAS, memory(e.bias, cpuEngine(), bias));
      const int64_t batch = batchA > batchB ? batchA : batchB;
      for (int64_t i = 0; i < batch; i++) {
        ma.set_data_handle(a + (i % batchA) * M * K);
        mb.set_data_handle(b + (i % batchB) * K * N);
        mc.set_data_handle(c + i * M * N);
        e.prim.execute(cpuStream(), args);
      }
    }
    cpuStream().wait();
  } catch (const dnnl::error& err) {
    Napi::Error::New(env, std::string("oneDNN matmul failed: ") + err.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value MatmulCacheSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(cache.size()));
}

}  // namespace

void InitMatmul(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("matmulCacheSize", Napi::Function::New(env, MatmulCacheSize));
}

}  // namespace distillery
