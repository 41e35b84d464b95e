// Reductions over one contiguous block of axes, seen as [outer, R, inner] -> [outer, inner]
// (sum, mean, max, min, argmax), softmax over the last axis, tile and (batched) 2-D
// transposes. Sums accumulate in double, as TF.js's cpu backend does in JS numbers, so long
// reductions (batch norm's N*H*W) agree with the reference to float precision.
#include "common.h"
#include <omp.h>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace distillery {

namespace {

constexpr int64_t kParallelFrom = 32768;

// Op codes shared with src/engine/native/elementwise-reduce.ts.
enum RedOp { kSum = 0, kMean = 1, kMax = 2, kMin = 3 };

inline float pickMax(float m, float v) { return (v > m || v != v) ? v : m; }
inline float pickMin(float m, float v) { return (v < m || v != v) ? v : m; }

// One row of R values (inner == 1).
float reduceRow(int op, const float* __restrict x, int64_t R) {
  if (op == kSum || op == kMean) {
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t r = 0; r < R; r++) s += x[r];
    return static_cast<float>(op == kMean ? s / static_cast<double>(R) : s);
  }
  float m = x[0];
  if (op == kMax)
    for (int64_t r = 1; r < R; r++) m = pickMax(m, x[r]);
  else
    for (int64_t r = 1; r < R; r++) m = pickMin(m, x[r]);
  return m;
}

// Rows r0..r1 of one [R, inner] slab folded into acc[inner].
void foldSums(const float* __restrict x, int64_t r0, int64_t r1, int64_t inner, double* __restrict acc) {
  for (int64_t r = r0; r < r1; r++) {
    const float* row = x + r * inner;
#pragma omp simd
    for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
  }
}
void foldExtreme(int op, const float* __restrict x, int64_t r0, int64_t r1, int64_t inner, float* __restrict acc) {
  for (int64_t r = r0; r < r1; r++) {
    const float* row = x + r * inner;
    if (op == kMax)
      for (int64_t i = 0; i < inner; i++) acc[i] = pickMax(acc[i], row[i]);
    else
      for (int64_t i = 0; i < inner; i++) acc[i] = pickMin(acc[i], row[i]);
  }
}

// One [R, inner] slab to out[inner], R split over the threads when asked.
void reduceSlab(int op, const float* x, int64_t R, int64_t inner, float* out, bool split) {
  const int nthr = split ? omp_get_max_threads() : 1;
  if (op == kSum || op == kMean) {
    std::vector<double> acc(static_cast<size_t>(nthr) * inner, 0.0);
#pragma omp parallel num_threads(nthr) if (nthr > 1)
    {
      const int t = omp_get_thread_num(), n = omp_get_num_threads();
      const int64_t r0 = R * t / n, r1 = R * (t + 1) / n;
      foldSums(x, r0, r1, inner, acc.data() + t * inner);
    }
    const double scale = op == kMean ? 1.0 / static_cast<double>(R) : 1.0;
    for (int64_t i = 0; i < inner; i++) {
      double s = 0;
      for (int t = 0; t < nthr; t++) s += acc[t * inner + i];
      out[i] = static_cast<float>(s * scale);
    }
    return;
  }
  std::vector<float> acc(static_cast<size_t>(nthr) * inner);
  for (int t = 0; t < nthr; t++) std::memcpy(acc.data() + t * inner, x, sizeof(float) * inner);
#pragma omp parallel num_threads(nthr) if (nthr > 1)
  {
    const int t = omp_get_thread_num(), n = omp_get_num_threads();
    const int64_t r0 = 1 + (R - 1) * t / n, r1 = 1 + (R - 1) * (t + 1) / n;
    foldExtreme(op, x, r0, r1, inner, acc.data() + t * inner);
  }
  for (int64_t i = 0; i < inner; i++) {
    float m = acc[i];
    for (int t = 1; t < nthr; t++) m = op == kMax ? pickMax(m, acc[t * inner + i]) : pickMin(m, acc[t * inner + i]);
    out[i] = m;
  }
}

// reduce(op, x, out, outer, R, inner).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info[0]));
  const float* x = f32(info[1]);
  float* out = f32(info[2]);
  const int64_t outer = num(info[3]), R = num(info[4]), inner = num(info[5]);
  const int64_t total = outer * R * inner;
  const bool big = total >= kParallelFrom;
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (big && outer > 1)
    for (int64_t o = 0; o < outer; o++) out[o] = reduceRow(op, x + o * R, R);
    // one long row: split it over the threads
    return info.Env().Undefined();
  }
  if (outer >= omp_get_max_threads() || !big) {
#pragma omp parallel for schedule(static) if (big)
    for (int64_t o = 0; o < outer; o++) reduceSlab(op, x + o * R * inner, R, inner, out + o * inner, false);
  } else {
    for (int64_t o = 0; o < outer; o++) reduceSlab(op, x + o * R * inner, R, inner, out + o * inner, true);
  }
  return info.Env().Undefined();
}

// argMax(x, out: Int32Array, outer, R, inner): first index of the largest value, as tfjs.
Napi::Value ArgMax(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  int32_t* out = i32(info[1]);
  const int64_t outer = num(info[2]), R = num(info[3]), inner = num(info[4]);
#pragma omp parallel for schedule(static) if (outer * R * inner >= kParallelFrom)
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      const float* p = x + o * R * inner + i;
      float m = p[0];
      int32_t best = 0;
      for (int64_t r = 1; r < R; r++)
        if (p[r * inner] > m) { m = p[r * inner]; best = static_cast<int32_t>(r); }
      out[o * inner + i] = best;
    }
  }
  return info.Env().Undefined();
}

// softmax(x, out, rows, cols) over the last axis.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t rows = num(info[2]), cols = num(info[3]);
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelFrom)
  for (int64_t r = 0; r < rows; r++) {
    const float* p = x + r * cols;
    float* q = out + r * cols;
    float m = p[0];
    for (int64_t c = 1; c < cols; c++) m = pickMax(m, p[c]);
    double s = 0;
    for (int64_t c = 0; c < cols; c++) {
      q[c] = std::exp(p[c] - m);
      s += q[c];
    }
    const float inv = static_cast<float>(1.0 / s);
    for (int64_t c = 0; c < cols; c++) q[c] *= inv;
  }
  return info.Env().Undefined();
}

// tile(x, out, inShape: Int32Array, reps: Int32Array): out[j] = x[j mod inShape] per dim.
Napi::Value Tile(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  float* out = f32(info[1]);
  const auto shapeArr = info[2].As<Napi::TypedArrayOf<int32_t>>();
  const int32_t* shape = shapeArr.Data();
  const int32_t* reps = i32(info[3]);
  const int rank = static_cast<int>(shapeArr.ElementLength());
  const int64_t last = shape[rank - 1], lastOut = last * reps[rank - 1];
  int64_t rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= static_cast<int64_t>(shape[d]) * reps[d];
#pragma omp parallel for schedule(static) if (rows * lastOut >= kParallelFrom)
  for (int64_t r = 0; r < rows; r++) {
    // output row r -> input row: peel the output dims from the back, fold them mod the input's
    int64_t rem = r, src = 0, stride = 1;
    for (int d = rank - 2; d >= 0; d--) {
      const int64_t od = static_cast<int64_t>(shape[d]) * reps[d];
      src += (rem % od % shape[d]) * stride;
      rem /= od;
      stride *= shape[d];
    }
    const float* in = x + src * last;
    float* o = out + r * lastOut;
    for (int64_t k = 0; k < reps[rank - 1]; k++) std::memcpy(o + k * last, in, sizeof(float) * last);
  }
  return info.Env().Undefined();
}

// transpose2d(x, out, batch, rows, cols): out[b][c][r] = x[b][r][c], in 32x32 tiles so that
// both the reads and the writes stay within a few cache lines at a time.
Napi::Value Transpose2d(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t batch = num(info[2]), rows = num(info[3]), cols = num(info[4]);
  const int64_t tr = (rows + 31) / 32, tc = (cols + 31) / 32;
#pragma omp parallel for schedule(static) if (batch * rows * cols >= kParallelFrom)
  for (int64_t t = 0; t < batch * tr * tc; t++) {
    const int64_t b = t / (tr * tc), r0 = (t / tc) % tr * 32, c0 = t % tc * 32;
    const int64_t r1 = r0 + 32 < rows ? r0 + 32 : rows, c1 = c0 + 32 < cols ? c0 + 32 : cols;
    const float* s = x + b * rows * cols;
    float* d = out + b * rows * cols;
    for (int64_t c = c0; c < c1; c++)
      for (int64_t r = r0; r < r1; r++) d[c * rows + r] = s[r * cols + c];
  }
  return info.Env().Undefined();
}

}  // namespace

void InitReduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("argMax", Napi::Function::New(env, ArgMax));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("tile", Napi::Function::New(env, Tile));
  exports.Set("transpose2d", Napi::Function::New(env, Transpose2d));
}

}  // namespace distillery
