// Fused optimizer updates: one pass over a variable instead of a dozen tfjs ops (each a full
// read and write of the tensor). The arithmetic follows src/train/optimizers.ts op by op, in
// float32 and in the same order of operations, so that both paths agree to the last bit.
#include "common.h"
#include <omp.h>
#include <cmath>
#include <immintrin.h>

// The JS path rounds after every op: no fused multiply-adds here either.
#pragma GCC optimize("fp-contract=off")

namespace distillery {

namespace {

constexpr int64_t kParallelFrom = 32768;

// f(begin, end) over [0, n), split over the OpenMP threads when n warrants it.
template <class F>
void parallelRanges(int64_t n, F f) {
  if (n < kParallelFrom) {
    f(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
    // 16-float boundaries keep each thread's stores off its neighbour's cache lines
    const int64_t a = (n * t / T) & ~int64_t{15}, b = t == T - 1 ? n : (n * (t + 1) / T) & ~int64_t{15};
    f(a, b);
  }
}

template <int MODE>
void adamRange(const float* w, const float* g, const float* m, const float* v, float* wo, float* mo, float* vo, int64_t i0,
               int64_t i1, float b1, float b2, float c1, float c2, float stepSize, float invSqrtBc2, float eps, float wd,
               float decay) noexcept {
  // AVX2 by hand: GCC vectorises no sqrt without -fno-math-errno (not among the build flags,
  // and its optimize pragma ignores it). Outputs alias inputs element for element only.
  int64_t i = i0;
  const __m256 B1 = _mm256_set1_ps(b1), B2 = _mm256_set1_ps(b2), C1 = _mm256_set1_ps(c1), C2 = _mm256_set1_ps(c2);
  const __m256 S = _mm256_set1_ps(stepSize), I = _mm256_set1_ps(invSqrtBc2), E = _mm256_set1_ps(eps);
  const __m256 WD = _mm256_set1_ps(wd), D = _mm256_set1_ps(decay);
  for (; i + 8 <= i1; i += 8) {
    const __m256 wi = _mm256_loadu_ps(w + i);
    __m256 gi = _mm256_loadu_ps(g + i);
    __m256 base = wi;
    if (MODE == 1) gi = _mm256_add_ps(gi, _mm256_mul_ps(WD, wi));
    if (MODE == 2) base = _mm256_mul_ps(wi, D);
    const __m256 mNew = _mm256_add_ps(_mm256_mul_ps(B1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(C1, gi));
    const __m256 vNew = _mm256_add_ps(_mm256_mul_ps(B2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(C2, _mm256_mul_ps(gi, gi)));
    const __m256 denom = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vNew), I), E);
    _mm256_storeu_ps(mo + i, mNew);
    _mm256_storeu_ps(vo + i, vNew);
    _mm256_storeu_ps(wo + i, _mm256_add_ps(base, _mm256_mul_ps(S, _mm256_div_ps(mNew, denom))));
  }
  for (; i < i1; i++) {
    const float wi = w[i];
    float gi = g[i];
    float base = wi;
    if (MODE == 1) gi = gi + wd * wi;
    if (MODE == 2) base = wi * decay;
    const float mNew = b1 * m[i] + c1 * gi;
    const float vNew = b2 * v[i] + c2 * (gi * gi);
    const float denom = std::sqrt(vNew) * invSqrtBc2 + eps;
    mo[i] = mNew;
    vo[i] = vNew;
    wo[i] = base + stepSize * (mNew / denom);
  }
}

void sgdRange(const float* w, const float* g, const float* buf, float* wo, float* bo, int64_t i0, int64_t i1, float mu,
              float negLr, float wd, bool nesterov) noexcept {
  const bool decay = wd != 0.f;
#pragma GCC ivdep
  for (int64_t i = i0; i < i1; i++) {
    const float wi = w[i];
    float gi = decay ? g[i] + wd * wi : g[i];
    if (buf != nullptr) {
      const float vi = mu * buf[i] + gi;
      bo[i] = vi;
      gi = nesterov ? gi + mu * vi : vi;
    }
    wo[i] = wi + negLr * gi;
  }
}

Napi::Value Adam(const Napi::CallbackInfo& info) {
  const float* w = f32(info[0]);
  const float* g = f32(info[1]);
  const float* m = f32(info[2]);
  const float* v = f32(info[3]);
  float* wo = f32(info[4]);
  float* mo = f32(info[5]);
  float* vo = f32(info[6]);
  const float b1 = static_cast<float>(dbl(info[7])), b2 = static_cast<float>(dbl(info[8]));
  const float c1 = static_cast<float>(dbl(info[9])), c2 = static_cast<float>(dbl(info[10]));
  const float stepSize = static_cast<float>(dbl(info[11])), invSqrtBc2 = static_cast<float>(dbl(info[12]));
  const float eps = static_cast<float>(dbl(info[13])), wd = static_cast<float>(dbl(info[14]));
  const float decay = static_cast<float>(dbl(info[15]));
  const int mode = static_cast<int>(num(info[16]));
  const int64_t n = static_cast<int64_t>(f32len(info[0]));
  parallelRanges(n, [&](int64_t i0, int64_t i1) {
    if (mode == 1) adamRange<1>(w, g, m, v, wo, mo, vo, i0, i1, b1, b2, c1, c2, stepSize, invSqrtBc2, eps, wd, decay);
    else if (mode == 2) adamRange<2>(w, g, m, v, wo, mo, vo, i0, i1, b1, b2, c1, c2, stepSize, invSqrtBc2, eps, wd, decay);
    else adamRange<0>(w, g, m, v, wo, mo, vo, i0, i1, b1, b2, c1, c2, stepSize, invSqrtBc2, eps, wd, decay);
  });
  return info.Env().Undefined();
}

// sgd(w, g, buf | null, wOut, bufOut | null, mu, negLr, wd, nesterov): PyTorch's rule.
Napi::Value Sgd(const Napi::CallbackInfo& info) {
  const float* w = f32(info[0]);
  const float* g = f32(info[1]);
  const bool momentum = info[2].IsTypedArray();
  const float* buf = momentum ? f32(info[2]) : nullptr;
  float* wo = f32(info[3]);
  float* bo = momentum ? f32(info[4]) : nullptr;
  const float mu = static_cast<float>(dbl(info[5])), negLr = static_cast<float>(dbl(info[6]));
  const float wd = static_cast<float>(dbl(info[7]));
  const bool nesterov = info[8].ToBoolean();
  const int64_t n = static_cast<int64_t>(f32len(info[0]));
  parallelRanges(n, [&](int64_t i0, int64_t i1) { sgdRange(w, g, buf, wo, bo, i0, i1, mu, negLr, wd, nesterov); });
  return info.Env().Undefined();
}

}  // namespace

void InitOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("sgd", Napi::Function::New(env, Sgd));
}

}  // namespace distillery
