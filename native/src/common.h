// Shared helpers of the native kernel pack: typed-array access without copies.
#pragma once
#include <napi.h>
#include <cstdint>
#include <cstddef>

namespace distillery {

// A Float32Array's memory, shared with JS (no copy).
inline float* f32(const Napi::Value& v) {
  auto a = v.As<Napi::TypedArrayOf<float>>();
  return a.Data();
}
inline size_t f32len(const Napi::Value& v) { return v.As<Napi::TypedArrayOf<float>>().ElementLength(); }
inline int32_t* i32(const Napi::Value& v) { return v.As<Napi::TypedArrayOf<int32_t>>().Data(); }
inline int64_t num(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
inline double dbl(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }

// Each kernel family registers its functions on the exports object.
void InitMatmul(Napi::Env env, Napi::Object exports);
void InitElementwise(Napi::Env env, Napi::Object exports);
void InitOptim(Napi::Env env, Napi::Object exports);
void InitConv(Napi::Env env, Napi::Object exports);
void InitPool(Napi::Env env, Napi::Object exports);
void InitNorm(Napi::Env env, Napi::Object exports);

}  // namespace distillery
