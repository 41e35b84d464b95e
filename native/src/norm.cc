// Batch-norm kernels on channels-last data ([rows, C] once flattened): the normalisation
// TF.js's FusedBatchNorm computes, and its gradient for every input in one pass over the data
// (the stock gradient is a chain of ~10 full-size elementwise ops and reductions).
#include "common.h"
#include <omp.h>
#include <algorithm>
#include <initializer_list>
#include <cmath>
#include <vector>

namespace distillery {
namespace {

// The loops index the arrays raw: full-size arrays (at `full`) must match the first and hold
// whole rows of C, per-channel ones (at `chan`) must hold C values; else a JS error.
bool SizesOk(const Napi::CallbackInfo& info, std::initializer_list<int> full, std::initializer_list<int> chan, int C) {
  const size_t n = f32len(info[*full.begin()]);
  bool ok = C > 0 && n % static_cast<size_t>(C) == 0;
  for (int i : full) ok = ok && f32len(info[i]) == n;
  for (int i : chan) ok = ok && f32len(info[i]) == static_cast<size_t>(C);
  if (!ok) Napi::Error::New(info.Env(), "native kernel: batch-norm array sizes do not match").ThrowAsJavaScriptException();
  return ok;
}

// y = (x - mean) * a + offset per channel, over rows of C: the normalisation both modes share
// (a = scale / sqrt(variance + eps), computed by the caller in double).
void Normalize(const float* x, const float* mean, const float* a, const float* offset, float* y, int64_t rows, int C) {
  const float* __restrict ap = a;
  const float* __restrict mp = mean;
  const float* __restrict op = offset;
#pragma omp parallel for schedule(static) if (rows * C > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * C;
    float* __restrict yr = y + r * C;
#pragma omp simd
    for (int c = 0; c < C; ++c) yr[c] = (xr[c] - mp[c]) * ap[c] + op[c];
  }
}

// batchNorm(x, mean, variance, scale, offset, y, C, eps): per-channel arrays of length C.
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  const float* mean = f32(info[1]);
  const float* var = f32(info[2]);
  const float* scale = f32(info[3]);
  const float* offset = f32(info[4]);
  float* y = f32(info[5]);
  const int C = static_cast<int>(num(info[6]));
  const double eps = dbl(info[7]);
  if (!SizesOk(info, {0, 5}, {1, 2, 3, 4}, C)) return info.Env().Undefined();
  const int64_t rows = static_cast<int64_t>(f32len(info[0])) / C;
  std::vector<float> a(C);
  for (int c = 0; c < C; ++c) a[c] = static_cast<float>(scale[c] / std::sqrt(static_cast<double>(var[c]) + eps));
  Normalize(x, mean, a.data(), offset, y, rows, C);
  return info.Env().Undefined();
}

// batchNormGrad(dy, x, mean, variance, scale, dx, dmean, dvariance, dscale, doffset, C, eps):
// the partial derivatives of y = (x - mean) * scale / sqrt(variance + eps) + offset, with
// mean and variance taken as inputs (the moments' own gradient is composed by TF.js).
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0]);
  const float* x = f32(info[1]);
  const float* mean = f32(info[2]);
  const float* var = f32(info[3]);
  const float* scale = f32(info[4]);
  float* dx = f32(info[5]);
  float* dmean = f32(info[6]);
  float* dvar = f32(info[7]);
  float* dscale = f32(info[8]);
  float* doffset = f32(info[9]);
  const int C = static_cast<int>(num(info[10]));
  const double eps = dbl(info[11]);
  if (!SizesOk(info, {0, 1, 5}, {2, 3, 4, 6, 7, 8, 9}, C)) return info.Env().Undefined();
  const int64_t rows = static_cast<int64_t>(f32len(info[0])) / C;
  std::vector<double> rstd(C);
  std::vector<float> k(C);
  for (int c = 0; c < C; ++c) {
    rstd[c] = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
    k[c] = static_cast<float>(scale[c] * rstd[c]);
  }
  std::vector<double> s1(C, 0.0), s2(C, 0.0);
  const float* __restrict kp = k.data();
  const float* __restrict mp = mean;
#pragma omp parallel if (rows * C > 32768)
  {
    // float partial sums over short runs of rows keep the inner loop vectorised; doubles
    // across runs keep 10^5-row sums accurate
    std::vector<float> v1(C, 0.f), v2(C, 0.f);
    std::vector<double> t1(C, 0.0), t2(C, 0.0);
    float* __restrict p1 = v1.data();
    float* __restrict p2 = v2.data();
    int run = 0;
#pragma omp for schedule(static) nowait
    for (int64_t r = 0; r < rows; ++r) {
      const float* __restrict dyr = dy + r * C;
      const float* __restrict xr = x + r * C;
      float* __restrict dxr = dx + r * C;
#pragma omp simd
      for (int c = 0; c < C; ++c) {
        const float g = dyr[c];
        dxr[c] = g * kp[c];
        p1[c] += g;
        p2[c] += g * (xr[c] - mp[c]);
      }
      if (++run == 64) {
        for (int c = 0; c < C; ++c) { t1[c] += p1[c]; t2[c] += p2[c]; p1[c] = 0.f; p2[c] = 0.f; }
        run = 0;
      }
    }
    for (int c = 0; c < C; ++c) { t1[c] += p1[c]; t2[c] += p2[c]; }
#pragma omp critical
    for (int c = 0; c < C; ++c) { s1[c] += t1[c]; s2[c] += t2[c]; }
  }
  for (int c = 0; c < C; ++c) {
    const double r = rstd[c];
    dmean[c] = static_cast<float>(-r * scale[c] * s1[c]);
    dvar[c] = static_cast<float>(-0.5 * r * r * r * scale[c] * s2[c]);
    dscale[c] = static_cast<float>(r * s2[c]);
    doffset[c] = static_cast<float>(s1[c]);
  }
  return info.Env().Undefined();
}


// Per-channel sums of a and of a*b over rows (b optional), in doubles across short float runs.
void ChannelSums(const float* a, const float* b, const float* mu, int64_t rows, int C, double* sa, double* sab) {
  std::fill(sa, sa + C, 0.0);
  std::fill(sab, sab + C, 0.0);
#pragma omp parallel if (rows * C > 32768)
  {
    std::vector<float> v1(C, 0.f), v2(C, 0.f);
    std::vector<double> t1(C, 0.0), t2(C, 0.0);
    float* __restrict p1 = v1.data();
    float* __restrict p2 = v2.data();
    int run = 0;
#pragma omp for schedule(static) nowait
    for (int64_t r = 0; r < rows; ++r) {
      const float* __restrict ar = a + r * C;
      if (b != nullptr) {
        const float* __restrict br = b + r * C;
#pragma omp simd
        for (int c = 0; c < C; ++c) { p1[c] += ar[c]; p2[c] += ar[c] * (br[c] - mu[c]); }
      } else {
#pragma omp simd
        for (int c = 0; c < C; ++c) { p1[c] += ar[c]; p2[c] += (ar[c] - mu[c]) * (ar[c] - mu[c]); }
      }
      if (++run == 64) {
        for (int c = 0; c < C; ++c) { t1[c] += p1[c]; t2[c] += p2[c]; p1[c] = 0.f; p2[c] = 0.f; }
        run = 0;
      }
    }
    for (int c = 0; c < C; ++c) { t1[c] += p1[c]; t2[c] += p2[c]; }
#pragma omp critical
    for (int c = 0; c < C; ++c) { sa[c] += t1[c]; sab[c] += t2[c]; }
  }
}

// batchNormTrain(x, scale, offset, y, mean, variance, C, eps): training-mode batch norm in two
// passes: the batch moments over every row (N*H*W for NHWC), then y. variance is the biased
// one, as tf.moments computes it.
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  const float* scale = f32(info[1]);
  const float* offset = f32(info[2]);
  float* y = f32(info[3]);
  float* mean = f32(info[4]);
  float* var = f32(info[5]);
  const int C = static_cast<int>(num(info[6]));
  const double eps = dbl(info[7]);
  if (!SizesOk(info, {0, 3}, {1, 2, 4, 5}, C)) return info.Env().Undefined();
  const int64_t rows = static_cast<int64_t>(f32len(info[0])) / C;
  std::vector<double> s(C), s2(C);
  std::vector<float> zero(C, 0.f);
  // a first pass for the mean, then the centred squares: E[x^2]-E[x]^2 cancels badly in float
  ChannelSums(x, nullptr, zero.data(), rows, C, s.data(), s2.data());
  for (int c = 0; c < C; ++c) mean[c] = static_cast<float>(s[c] / rows);
  ChannelSums(x, nullptr, mean, rows, C, s.data(), s2.data());
  std::vector<float> a(C);
  for (int c = 0; c < C; ++c) {
    var[c] = static_cast<float>(s2[c] / rows);
    a[c] = static_cast<float>(scale[c] / std::sqrt(static_cast<double>(var[c]) + eps));
  }
  Normalize(x, mean, a.data(), offset, y, rows, C);
  return info.Env().Undefined();
}

// batchNormTrainGrad(dy, dmean, dvariance, x, mean, variance, scale, dx, dscale, doffset, C, eps):
// the gradient of batchNormTrain for all three outputs, the moments' dependence on x included.
Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0]);
  const float* dmean = f32(info[1]);
  const float* dvar = f32(info[2]);
  const float* x = f32(info[3]);
  const float* mean = f32(info[4]);
  const float* var = f32(info[5]);
  const float* scale = f32(info[6]);
  float* dx = f32(info[7]);
  float* dscale = f32(info[8]);
  float* doffset = f32(info[9]);
  const int C = static_cast<int>(num(info[10]));
  const double eps = dbl(info[11]);
  if (!SizesOk(info, {0, 3, 7}, {1, 2, 4, 5, 6, 8, 9}, C)) return info.Env().Undefined();
  const int64_t rows = static_cast<int64_t>(f32len(info[0])) / C;
  std::vector<double> s1(C), s2(C);
  ChannelSums(dy, x, mean, rows, C, s1.data(), s2.data());  // sum(dy), sum(dy * (x - mean))
  // dx = k * (dy - sum(dy)/N - (x-mean) * r^2 * sum(dy*(x-mean))/N) + dmean/N + dvar*2(x-mean)/N
  //    = k * dy + u * (x - mean) + w,  with k = scale * r
  std::vector<float> k(C), u(C), w(C);
  for (int c = 0; c < C; ++c) {
    const double r = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
    const double kc = scale[c] * r;
    k[c] = static_cast<float>(kc);
    u[c] = static_cast<float>(-kc * r * r * s2[c] / rows + 2.0 * dvar[c] / rows);
    w[c] = static_cast<float>(-kc * s1[c] / rows + static_cast<double>(dmean[c]) / rows);
    dscale[c] = static_cast<float>(r * s2[c]);
    doffset[c] = static_cast<float>(s1[c]);
  }
  const float* __restrict kp = k.data();
  const float* __restrict up = u.data();
  const float* __restrict wp = w.data();
  const float* __restrict mp = mean;
#pragma omp parallel for schedule(static) if (rows * C > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict dyr = dy + r * C;
    const float* __restrict xr = x + r * C;
    float* __restrict dxr = dx + r * C;
#pragma omp simd
    for (int c = 0; c < C; ++c) dxr[c] = kp[c] * dyr[c] + up[c] * (xr[c] - mp[c]) + wp[c];
  }
  return info.Env().Undefined();
}

}  // namespace

void InitNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad));
  exports.Set("batchNormTrain", Napi::Function::New(env, BatchNormTrain));
  exports.Set("batchNormTrainGrad", Napi::Function::New(env, BatchNormTrainGrad));
}

}  // namespace distillery
