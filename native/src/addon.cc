// Entry point of the native kernel pack: each family adds its functions.
#include "common.h"
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

namespace distillery {

static Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const dnnl_version_t* v = dnnl_version();
  o.Set("onednn", Napi::String::New(env, std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch)));
  o.Set("threads", Napi::Number::New(env, omp_get_max_threads()));
  return o;
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads(static_cast<int>(num(info[0])));
  return info.Env().Undefined();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  InitMatmul(env, exports);
  InitElementwise(env, exports);
  InitOptim(env, exports);
  InitConv(env, exports);
  InitPool(env, exports);
  InitNorm(env, exports);
  return exports;
}

}  // namespace distillery

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return distillery::Init(env, exports); }

NODE_API_MODULE(distillery_native, InitAll)
