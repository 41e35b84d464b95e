// Elementwise kernels: unary maps, broadcast binary ops (up to three collapsed dims, each
// operand's inner stride 0 or 1), select and casts. Work is split over OpenMP threads only
// from kParallelFrom elements: below that the fork costs more than it saves.
#include "common.h"
#include <omp.h>
#include <cmath>
#include <cstdint>
#include <malloc.h>
#include <immintrin.h>

namespace distillery {

namespace {

constexpr int64_t kParallelFrom = 32768;

// ---- binary ----------------------------------------------------------------------------
// Op codes shared with src/engine/native/elementwise.ts.
enum BinOp { kAdd, kSub, kMul, kDiv, kMax, kMin, kSqDiff, kGreater, kGreaterEq, kLess, kLessEq, kEqual, kNotEqual, kPow };

// Math.max / Math.min semantics: NaN wins.
inline float jsMax(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); }
inline float jsMin(float a, float b) { return (a != a || b != b) ? NAN : (a < b ? a : b); }

template <int OP>
struct Bin;
#define BIN(OP, T, EXPR) \
  template <>            \
  struct Bin<OP> {       \
    using R = T;         \
    static inline T f(float a, float b) { return EXPR; } \
  };
BIN(kAdd, float, a + b)
BIN(kSub, float, a - b)
BIN(kMul, float, a * b)
BIN(kDiv, float, a / b)
BIN(kMax, float, jsMax(a, b))
BIN(kMin, float, jsMin(a, b))
BIN(kSqDiff, float, (a - b) * (a - b))
BIN(kGreater, uint8_t, a > b)
BIN(kGreaterEq, uint8_t, a >= b)
BIN(kLess, uint8_t, a < b)
BIN(kLessEq, uint8_t, a <= b)
BIN(kEqual, uint8_t, a == b)
BIN(kNotEqual, uint8_t, a != b)
// in double, as Math.pow: powf can be an ulp off
BIN(kPow, float, static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b))))
#undef BIN

template <int OP, int SA, int SB>
inline void binRow(const float* __restrict a, const float* __restrict b, typename Bin<OP>::R* __restrict o, int64_t n) {
  for (int64_t i = 0; i < n; i++) o[i] = Bin<OP>::f(a[SA ? i : 0], b[SB ? i : 0]);
}

struct BinPlan {
  int64_t d0, d1, d2, sa0, sa1, sb0, sb1;
  int sa2, sb2;
};

template <int OP, int SA, int SB>
void binLoop(const float* a, const float* b, typename Bin<OP>::R* o, const BinPlan& p) {
  const int64_t rows = p.d0 * p.d1, total = rows * p.d2;
  const int nthr = omp_get_max_threads();
  // Split long rows too, so that a single big row still uses every thread.
  int64_t chunk = p.d2;
  if (total >= kParallelFrom && rows < 4 * nthr) {
    const int64_t want = (total + 4 * nthr - 1) / (4 * nthr);
    chunk = want < 4096 ? 4096 : (want + 15) / 16 * 16;
    if (chunk > p.d2) chunk = p.d2;
  }
  const int64_t per = chunk == 0 ? 0 : (p.d2 + chunk - 1) / chunk;
  const int64_t tasks = rows * per;
#pragma omp parallel for schedule(static) if (total >= kParallelFrom)
  for (int64_t t = 0; t < tasks; t++) {
    const int64_t r = t / per, c = (t % per) * chunk;
    const int64_t i0 = r / p.d1, i1 = r % p.d1;
    const int64_t n = (c + chunk > p.d2 ? p.d2 : c + chunk) - c;
    binRow<OP, SA, SB>(a + i0 * p.sa0 + i1 * p.sa1 + (SA ? c : 0), b + i0 * p.sb0 + i1 * p.sb1 + (SB ? c : 0), o + r * p.d2 + c, n);
  }
}

template <int OP>
void binDispatch(const float* a, const float* b, void* out, const BinPlan& p) {
  auto* o = static_cast<typename Bin<OP>::R*>(out);
  if (p.sa2 && p.sb2) binLoop<OP, 1, 1>(a, b, o, p);
  else if (p.sa2) binLoop<OP, 1, 0>(a, b, o, p);
  else if (p.sb2) binLoop<OP, 0, 1>(a, b, o, p);
  else binLoop<OP, 0, 0>(a, b, o, p);
}

// binary(op, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2): out[i0,i1,i2] =
// a[i0*sa0 + i1*sa1 + i2*sa2] op b[...]; out is a Float32Array, or a Uint8Array for comparisons.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info[0]));
  const float* a = f32(info[1]);
  const float* b = f32(info[2]);
  void* out = info[3].As<Napi::TypedArray>().ArrayBuffer().Data();
  out = static_cast<uint8_t*>(out) + info[3].As<Napi::TypedArray>().ByteOffset();
  BinPlan p{num(info[4]), num(info[5]), num(info[6]), num(info[7]), num(info[8]), num(info[10]), num(info[11]),
            static_cast<int>(num(info[9])), static_cast<int>(num(info[12]))};
  switch (op) {
    case kAdd: binDispatch<kAdd>(a, b, out, p); break;
    case kSub: binDispatch<kSub>(a, b, out, p); break;
    case kMul: binDispatch<kMul>(a, b, out, p); break;
    case kDiv: binDispatch<kDiv>(a, b, out, p); break;
    case kMax: binDispatch<kMax>(a, b, out, p); break;
    case kMin: binDispatch<kMin>(a, b, out, p); break;
    case kSqDiff: binDispatch<kSqDiff>(a, b, out, p); break;
    case kGreater: binDispatch<kGreater>(a, b, out, p); break;
    case kGreaterEq: binDispatch<kGreaterEq>(a, b, out, p); break;
    case kLess: binDispatch<kLess>(a, b, out, p); break;
    case kLessEq: binDispatch<kLessEq>(a, b, out, p); break;
    case kEqual: binDispatch<kEqual>(a, b, out, p); break;
    case kNotEqual: binDispatch<kNotEqual>(a, b, out, p); break;
    case kPow: binDispatch<kPow>(a, b, out, p); break;
    default: Napi::Error::New(info.Env(), "binary: unknown op").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// ---- unary -----------------------------------------------------------------------------
enum UnOp { kRelu, kRelu6, kStep, kNeg, kSquare, kSqrt, kRsqrt, kExp, kLog, kSigmoid, kAbs, kTanh, kRecip, kClip, kElu, kLeaky };

template <int OP>
struct Un;
#define UN(OP, EXPR)                                                           \
  template <>                                                                  \
  struct Un<OP> {                                                              \
    static inline float f(float x, float alpha, float beta) { (void)alpha; (void)beta; return EXPR; } \
  };
UN(kRelu, x < 0.f ? 0.f : x)
UN(kRelu6, x < 0.f ? 0.f : (x > 6.f ? 6.f : x))
UN(kStep, x != x ? x : (x > 0.f ? 1.f : alpha))
UN(kNeg, -x)
UN(kSquare, x * x)
UN(kLog, std::log(x))
UN(kAbs, std::fabs(x))
UN(kTanh, std::tanh(x))
UN(kRecip, 1.f / x)
UN(kClip, x > beta ? beta : (x < alpha ? alpha : x))
UN(kElu, x >= 0.f ? x : std::exp(x) - 1.f)
UN(kLeaky, x < 0.f ? alpha * x : x)
#undef UN

template <int OP>
void unLoop(const float* __restrict x, float* __restrict o, int64_t n, float alpha, float beta) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
  for (int64_t i = 0; i < n; i++) o[i] = Un<OP>::f(x[i], alpha, beta);
}

// GCC vectorises no sqrt without -fno-math-errno (not among the build flags; its optimize
// pragma does not take it): sqrt and rsqrt by hand, IEEE-exact like the scalar forms.
template <bool RECIP>
void sqrtLoop(const float* __restrict x, float* __restrict o, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelFrom)
  for (int64_t c = 0; c < (n + 4095) / 4096; c++) {
    const int64_t i0 = c * 4096, i1 = i0 + 4096 < n ? i0 + 4096 : n;
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8) {
      const __m256 r = _mm256_sqrt_ps(_mm256_loadu_ps(x + i));
      _mm256_storeu_ps(o + i, RECIP ? _mm256_div_ps(_mm256_set1_ps(1.f), r) : r);
    }
    for (; i < i1; i++) o[i] = RECIP ? 1.f / std::sqrt(x[i]) : std::sqrt(x[i]);
  }
}

// exp on 8 floats: e^x = 2^n e^r with n = round(x log2 e) and |r| <= ln2/2, r taken in two
// steps (ln 2 split into a short high part and the rest) so that n ln2 is exact; e^r from its
// Taylor series to r^7 (truncation < 1e-8 relative). 2^n is applied as two factors so that
// neither leaves the float exponent range. Overflow gives +inf, deep underflow 0, NaN stays.
inline __m256 exp8(__m256 x) {
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.f)), _mm256_set1_ps(88.7228f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_sub_ps(xc, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f)));
  r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(-2.12194440e-4f)));
  __m256 p = _mm256_set1_ps(1.f / 5040.f);
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.f / 720.f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.f / 120.f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.f / 24.f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.f / 6.f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0.5f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.f));
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, _mm256_set1_ps(88.7228f), _CMP_GT_OQ));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// exp (SIGMOID false) or 1 / (1 + exp(-x)) over n floats, 8 at a time.
template <bool SIGMOID>
void expLoop(const float* __restrict x, float* __restrict o, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelFrom / 4)
  for (int64_t c = 0; c < (n + 4095) / 4096; c++) {
    const int64_t i0 = c * 4096, i1 = i0 + 4096 < n ? i0 + 4096 : n;
    int64_t i = i0;
    const __m256 one = _mm256_set1_ps(1.f);
    for (; i + 8 <= i1; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      _mm256_storeu_ps(o + i, SIGMOID ? _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), v)))) : exp8(v));
    }
    for (; i < i1; i++) o[i] = SIGMOID ? 1.f / (1.f + std::exp(-x[i])) : std::exp(x[i]);
  }
}

// unary(op, x, out, alpha, beta): alpha is Step's value at x <= 0, LeakyRelu's slope, clip's
// lower bound; beta clip's upper bound.
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info[0]));
  const float* x = f32(info[1]);
  float* o = f32(info[2]);
  const int64_t n = static_cast<int64_t>(f32len(info[1]));
  const float alpha = static_cast<float>(dbl(info[3])), beta = static_cast<float>(dbl(info[4]));
  switch (op) {
#define CASE(OP) case OP: unLoop<OP>(x, o, n, alpha, beta); break;
    case kSqrt: sqrtLoop<false>(x, o, n); break;
    case kRsqrt: sqrtLoop<true>(x, o, n); break;
    case kExp: expLoop<false>(x, o, n); break;
    case kSigmoid: expLoop<true>(x, o, n); break;
    CASE(kRelu) CASE(kRelu6) CASE(kStep) CASE(kNeg) CASE(kSquare)
    CASE(kLog) CASE(kAbs) CASE(kTanh) CASE(kRecip) CASE(kClip) CASE(kElu) CASE(kLeaky)
#undef CASE
    default: Napi::Error::New(info.Env(), "unary: unknown op").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// ---- logical ops on bool (Uint8Array) tensors --------------------------------------------
// logical(op, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2): 0 and, 1 or; b is ignored
// for 2 (not). Same broadcast walk as binary().
Napi::Value Logical(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info[0]));
  const uint8_t* a = info[1].As<Napi::TypedArrayOf<uint8_t>>().Data();
  const uint8_t* b = info[2].As<Napi::TypedArrayOf<uint8_t>>().Data();
  uint8_t* o = info[3].As<Napi::TypedArrayOf<uint8_t>>().Data();
  const int64_t d0 = num(info[4]), d1 = num(info[5]), d2 = num(info[6]);
  const int64_t sa0 = num(info[7]), sa1 = num(info[8]), sa2 = num(info[9]);
  const int64_t sb0 = num(info[10]), sb1 = num(info[11]), sb2 = num(info[12]);
  const int64_t rows = d0 * d1;
#pragma omp parallel for schedule(static) if (rows * d2 >= kParallelFrom && rows > 1)
  for (int64_t r = 0; r < rows; r++) {
    const uint8_t* pa = a + (r / d1) * sa0 + (r % d1) * sa1;
    const uint8_t* pb = b + (r / d1) * sb0 + (r % d1) * sb1;
    uint8_t* po = o + r * d2;
    if (op == 0)
      for (int64_t i = 0; i < d2; i++) po[i] = (pa[i * sa2] != 0) & (pb[i * sb2] != 0);
    else if (op == 1)
      for (int64_t i = 0; i < d2; i++) po[i] = (pa[i * sa2] != 0) | (pb[i * sb2] != 0);
    else
      for (int64_t i = 0; i < d2; i++) po[i] = pa[i * sa2] == 0;
  }
  return info.Env().Undefined();
}

// ---- select and casts ------------------------------------------------------------------
// select(cond: Uint8Array, t, e, out), all of one size.
Napi::Value Select(const Napi::CallbackInfo& info) {
  const uint8_t* c = info[0].As<Napi::TypedArrayOf<uint8_t>>().Data();
  const float* t = f32(info[1]);
  const float* e = f32(info[2]);
  float* o = f32(info[3]);
  const int64_t n = static_cast<int64_t>(f32len(info[3]));
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
  for (int64_t i = 0; i < n; i++) o[i] = c[i] ? t[i] : e[i];
  return info.Env().Undefined();
}

// castToFloat(x: Uint8Array | Int32Array, out: Float32Array).
Napi::Value CastToFloat(const Napi::CallbackInfo& info) {
  float* o = f32(info[1]);
  const int64_t n = static_cast<int64_t>(f32len(info[1]));
  if (info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    const uint8_t* x = info[0].As<Napi::TypedArrayOf<uint8_t>>().Data();
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
    for (int64_t i = 0; i < n; i++) o[i] = static_cast<float>(x[i]);
  } else {
    const int32_t* x = i32(info[0]);
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
    for (int64_t i = 0; i < n; i++) o[i] = static_cast<float>(x[i]);
  }
  return info.Env().Undefined();
}

}  // namespace

void InitReduce(Napi::Env env, Napi::Object exports);
void InitActGrad(Napi::Env env, Napi::Object exports);

void InitElementwise(Napi::Env env, Napi::Object exports) {
  // Every kernel output is a fresh ArrayBuffer. glibc serves big ones with mmap and unmaps them
  // on free, so each new output page-faults its way in: ~5 ms per 6 MB here, more than the op
  // itself. Keeping them on the heap, and the heap from shrinking, lets freed outputs be reused.
  // The cost: the process keeps its peak memory until it exits.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("select", Napi::Function::New(env, Select));
  exports.Set("logical", Napi::Function::New(env, Logical));
  exports.Set("castToFloat", Napi::Function::New(env, CastToFloat));
  InitReduce(env, exports);
  InitActGrad(env, exports);
}

}  // namespace distillery
