// Pooling kernels on NHWC data with TF's semantics, as OpenMP loops vectorised over channels:
// max pooling's gradient goes to the first maximum of each window (row-major scan, strict >),
// average pooling divides by the number of in-bounds pixels (padding excluded), forward and
// backward alike. Own loops rather than oneDNN: its max-pool backward needs the forward's
// workspace, which TF.js's MaxPoolGrad(dy, input, output) does not carry.
#include "common.h"
#include <omp.h>
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace distillery {
namespace {

size_t i32len(const Napi::CallbackInfo& info) {
  const Napi::Value& v = info[info.Length() - 1];
  return v.IsTypedArray() ? v.As<Napi::TypedArrayOf<int32_t>>().ElementLength() : 0;
}

// The geometry from backend_util.computePool2DInfo: n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl.
struct PoolGeo {
  int n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl;
  // The in-bounds window [r0, r1) x [c0, c1) of output pixel (i, j).
  void Window(int i, int j, int* r0, int* r1, int* c0, int* c1) const {
    const int rs = i * sh - pt, cs = j * sw - pl;
    *r0 = std::max(rs, 0);
    *r1 = std::min(rs + kh, h);
    *c0 = std::max(cs, 0);
    *c1 = std::min(cs + kw, w);
  }
};

PoolGeo ReadPoolGeo(const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArrayOf<int32_t>>().ElementLength() != 12) return PoolGeo{};  // SizesOk refuses it
  const int32_t* p = i32(v);
  return PoolGeo{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
}

// The loops index the arrays raw: refuse arrays smaller or larger than the geometry says.
bool SizesOk(const Napi::CallbackInfo& info, const Napi::Value& in, const Napi::Value& out, const PoolGeo& g) {
  const size_t nin = static_cast<size_t>(g.n) * g.h * g.w * g.c;
  const size_t nout = static_cast<size_t>(g.n) * g.oh * g.ow * g.c;
  if (i32len(info) == 12 && f32len(in) == nin && f32len(out) == nout) return true;
  Napi::Error::New(info.Env(), "native kernel: pool array sizes do not match the geometry").ThrowAsJavaScriptException();
  return false;
}

// The forward pools: each output pixel's channels start at `init`, `fold(out, px)` takes in
// every in-bounds input pixel of its window, then `finish(out, pixels)` (pixels may be 0).
template <typename Fold, typename Finish>
void PoolForward(const float* x, float* y, const PoolGeo& g, float init, Fold fold, Finish finish) {
  const int C = g.c;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < g.n; ++n) {
    for (int i = 0; i < g.oh; ++i) {
      for (int j = 0; j < g.ow; ++j) {
        float* out = y + ((static_cast<size_t>(n) * g.oh + i) * g.ow + j) * C;
        std::fill(out, out + C, init);
        int r0, r1, c0, c1;
        g.Window(i, j, &r0, &r1, &c0, &c1);
        for (int r = r0; r < r1; ++r) {
          for (int q = c0; q < c1; ++q) fold(out, x + ((static_cast<size_t>(n) * g.h + r) * g.w + q) * C);
        }
        finish(out, std::max(0, r1 - r0) * std::max(0, c1 - c0));
      }
    }
  }
}

// maxPool(x, y, geo)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  const PoolGeo g = ReadPoolGeo(info[2]);
  if (!SizesOk(info, info[0], info[1], g)) return info.Env().Undefined();
  const int C = g.c;
  PoolForward(
      f32(info[0]), f32(info[1]), g, -std::numeric_limits<float>::infinity(),
      [C](float* __restrict o, const float* __restrict px) {
#pragma omp simd
        for (int k = 0; k < C; ++k) o[k] = px[k] > o[k] ? px[k] : o[k];
      },
      [](float*, int) {});
  return info.Env().Undefined();
}

// avgPool(x, y, geo): the mean of each window's in-bounds pixels.
Napi::Value AvgPool(const Napi::CallbackInfo& info) {
  const PoolGeo g = ReadPoolGeo(info[2]);
  if (!SizesOk(info, info[0], info[1], g)) return info.Env().Undefined();
  const int C = g.c;
  PoolForward(
      f32(info[0]), f32(info[1]), g, 0.f,
      [C](float* __restrict o, const float* __restrict px) {
#pragma omp simd
        for (int k = 0; k < C; ++k) o[k] += px[k];
      },
      // an empty window gives 0/0 = NaN, as the stock kernel does
      [C](float* o, int pixels) {
        const float inv = 1.f / static_cast<float>(pixels);
        for (int k = 0; k < C; ++k) o[k] *= inv;
      });
  return info.Env().Undefined();
}

// maxPoolGrad(dy, x, dx, geo): dx gets each window's dy at its first maximum.
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0]);
  const float* x = f32(info[1]);
  float* dx = f32(info[2]);
  const PoolGeo g = ReadPoolGeo(info[3]);
  if (!SizesOk(info, info[1], info[0], g) || f32len(info[2]) != f32len(info[1])) {
    if (!info.Env().IsExceptionPending()) Napi::Error::New(info.Env(), "native kernel: pool array sizes do not match the geometry").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  const int C = g.c;
  const size_t imageIn = static_cast<size_t>(g.h) * g.w * C;
  // one image per iteration: windows overlap inside an image, never across images
#pragma omp parallel
  {
    std::vector<float> bestBuf(C);
    std::vector<int> whereBuf(C);
    float* __restrict best = bestBuf.data();
    int* __restrict where = whereBuf.data();
#pragma omp for schedule(static)
    for (int n = 0; n < g.n; ++n) {
      float* dxn = dx + n * imageIn;
      const float* xn = x + n * imageIn;
      std::memset(dxn, 0, imageIn * sizeof(float));
      for (int i = 0; i < g.oh; ++i) {
        for (int j = 0; j < g.ow; ++j) {
          std::fill(best, best + C, -std::numeric_limits<float>::infinity());
          std::fill(where, where + C, -1);
          int r0, r1, c0, c1;
          g.Window(i, j, &r0, &r1, &c0, &c1);
          for (int r = r0; r < r1; ++r) {
            for (int q = c0; q < c1; ++q) {
              const int off = (r * g.w + q) * C;
              const float* __restrict px = xn + off;
#pragma omp simd
              for (int k = 0; k < C; ++k) {
                const bool more = px[k] > best[k];
                best[k] = more ? px[k] : best[k];
                where[k] = more ? off : where[k];
              }
            }
          }
          const float* d = dy + ((static_cast<size_t>(n) * g.oh + i) * g.ow + j) * C;
          for (int k = 0; k < C; ++k) {
            if (where[k] >= 0) dxn[where[k] + k] += d[k];
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

// avgPoolGrad(dy, dx, geo): each window spreads dy / (in-bounds pixels) over its pixels.
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0]);
  float* dx = f32(info[1]);
  const PoolGeo g = ReadPoolGeo(info[2]);
  if (!SizesOk(info, info[1], info[0], g)) return info.Env().Undefined();
  const int C = g.c;
  const size_t imageIn = static_cast<size_t>(g.h) * g.w * C;
#pragma omp parallel for schedule(static)
  for (int n = 0; n < g.n; ++n) {
    float* dxn = dx + n * imageIn;
    std::memset(dxn, 0, imageIn * sizeof(float));
    for (int i = 0; i < g.oh; ++i) {
      for (int j = 0; j < g.ow; ++j) {
        int r0, r1, c0, c1;
        g.Window(i, j, &r0, &r1, &c0, &c1);
        if (r1 <= r0 || c1 <= c0) continue;
        const float inv = 1.f / static_cast<float>((r1 - r0) * (c1 - c0));
        const float* d = dy + ((static_cast<size_t>(n) * g.oh + i) * g.ow + j) * C;
        for (int r = r0; r < r1; ++r) {
          for (int q = c0; q < c1; ++q) {
            float* __restrict px = dxn + (static_cast<size_t>(r) * g.w + q) * C;
            const float* __restrict dd = d;
#pragma omp simd
            for (int k = 0; k < C; ++k) px[k] += dd[k] * inv;
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void InitPool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("avgPool", Napi::Function::New(env, AvgPool));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
}

}  // namespace distillery
