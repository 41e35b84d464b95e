// oneDNN plumbing shared by the conv, pool and norm kernels: one engine, one in-order stream,
// and a guard that turns a C++ exception (oneDNN reports errors by throwing dnnl::error)
// into a JS exception instead of aborting the process.
#pragma once
#include "common.h"
#include <oneapi/dnnl/dnnl.hpp>
#include <exception>
#include <string>

namespace distillery {
namespace convkit {

inline dnnl::engine& Engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

inline dnnl::stream& Stream() {
  static dnnl::stream s(Engine());
  return s;
}

// Runs fn; a thrown error becomes a JS Error named after the failing kernel.
template <typename Fn>
Napi::Value Guard(const Napi::CallbackInfo& info, Fn&& fn) {
  try {
    fn();
  } catch (const dnnl::error& e) {
    Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what() + " (status " + std::to_string(e.status) + ")")
        .ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), std::string("native kernel: ") + e.what()).ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

}  // namespace convkit
}  // namespace distillery
