// Gradients of the clipping activations in one pass each. TF.js composes them from full-size
// ops: ClipByValue's from GreaterEqual, LessEqual, LogicalAnd, ZerosLike and Select (five
// passes, four temporaries), Relu's from Step and Multiply, Relu6's from LessEqual, Step,
// Cast and two Multiplies. Each kernel here reads dy and x once and writes dx once.
#include "common.h"
#include <omp.h>
#include <cmath>
#include <cstdint>

namespace distillery {

namespace {

constexpr int64_t kParallelFrom = 32768;

// Mode codes shared with src/engine/native/activation-grad.ts. kLess..kGreaterEq are the
// gradients of Minimum / Maximum with a scalar bound (lo): dy where x compares true, as
// TF.js's mul(dy, cast(compare(x, bound))) (so a NaN in dy stays NaN).
enum Mode { kClip = 0, kRelu = 1, kRelu6 = 2, kLess = 3, kLessEq = 4, kGreater = 5, kGreaterEq = 6 };

template <typename Cond>
inline void masked(const float* __restrict dy, const float* __restrict x, float* __restrict dx, int64_t n, Cond cond) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
  for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * (cond(x[i]) ? 1.0f : 0.0f);
}

// actGrad(mode, dy, x, dx, lo, hi): dx = dy where x passes the activation's mask, else 0.
// NaN handling follows TF.js: Relu's and Relu6's masks come from Step, which maps NaN to NaN
// (so dx is NaN); ClipByValue's from comparisons, which are false for NaN (so dx is 0).
Napi::Value ActGrad(const Napi::CallbackInfo& info) {
  const int mode = static_cast<int>(num(info[0]));
  const float* dy = f32(info[1]);
  const float* x = f32(info[2]);
  float* dx = f32(info[3]);
  const float lo = static_cast<float>(dbl(info[4]));
  const float hi = static_cast<float>(dbl(info[5]));
  const int64_t n = static_cast<int64_t>(f32len(info[3]));
  if (mode == kClip) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
    for (int64_t i = 0; i < n; i++) dx[i] = (x[i] >= lo && x[i] <= hi) ? dy[i] : 0.0f;
  } else if (mode == kRelu) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
    for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * (x[i] != x[i] ? NAN : (x[i] > 0.0f ? 1.0f : 0.0f));
  } else if (mode == kRelu6) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
    for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * (x[i] != x[i] ? NAN : ((x[i] > 0.0f && x[i] <= 6.0f) ? 1.0f : 0.0f));
  } else if (mode == kLess) {
    masked(dy, x, dx, n, [lo](float v) { return v < lo; });
  } else if (mode == kLessEq) {
    masked(dy, x, dx, n, [lo](float v) { return v <= lo; });
  } else if (mode == kGreater) {
    masked(dy, x, dx, n, [lo](float v) { return v > lo; });
  } else {
    masked(dy, x, dx, n, [lo](float v) { return v >= lo; });
  }
  return info.Env().Undefined();
}

}  // namespace

void InitActGrad(Napi::Env env, Napi::Object exports) {
  exports.Set("actGrad", Napi::Function::New(env, ActGrad));
}

}  // namespace distillery
