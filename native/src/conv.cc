// Convolution kernels over oneDNN: forward (with optional bias and relu/relu6), backward data
// and backward weights, for plain and depthwise (grouped) 2-D convolutions on NHWC data with
// TF's HWIO / HWC(M) filter layouts. Primitives are cached by shape, so a training step pays
// for primitive creation once.
#include "common.h"
#include "conv_util.h"
#include <omp.h>
#include <array>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <map>
#include <memory>
#include <vector>

namespace distillery {

using namespace convkit;
using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

// The geometry of one convolution, as the JS side computes it with TF's rules
// (backend_util.computeConv2DInfo): the native side never guesses padding.
struct Geo {
  int n, h, w, c, kh, kw, o, oh, ow, sh, sw, dh, dw, pt, pb, pl, pr, groups, act, bias;
};
constexpr int kGeoLen = 20;

static_assert(sizeof(Geo) == kGeoLen * sizeof(int), "Geo is 20 packed ints");

Geo ReadGeo(const Napi::Value& v) {
  if (v.As<Napi::TypedArrayOf<int32_t>>().ElementLength() != kGeoLen) throw std::invalid_argument("conv geometry needs 20 ints");
  Geo g{};
  std::memcpy(&g, i32(v), sizeof(Geo));
  return g;
}

size_t SrcSize(const Geo& g) { return static_cast<size_t>(g.n) * g.h * g.w * g.c; }
size_t DstSize(const Geo& g) { return static_cast<size_t>(g.n) * g.oh * g.ow * g.o; }
size_t WeiSize(const Geo& g) { return static_cast<size_t>(g.kh) * g.kw * (g.c / g.groups) * g.o; }

// The arrays must be exactly as large as the geometry says: oneDNN reads and writes them raw.
void CheckSizes(const Napi::Value& src, const Napi::Value& wei, const Napi::Value& dst, const Geo& g) {
  if (f32len(src) != SrcSize(g) || f32len(wei) != WeiSize(g) || f32len(dst) != DstSize(g)) {
    throw std::invalid_argument("conv array sizes do not match the geometry");
  }
}

using Key = std::array<int, kGeoLen + 1>;
Key MakeKey(const Geo& g, int kind) {
  Key k{};
  std::memcpy(k.data(), &g, sizeof(Geo));
  k[kGeoLen] = kind;
  return k;
}

// oneDNN checks (in + pl + pr - extent) / stride + 1 == out with floor division; TF's 'ceil'
// rounding can ask for one more output row, which is the same as a larger bottom/right pad.
int FitPad(int in, int k, int d, int s, int pad0, int pad1, int out) {
  const int extent = (k - 1) * d + 1;
  if ((in + pad0 + pad1 - extent) / s + 1 == out) return pad1;
  return (out - 1) * s + extent - in - pad0;
}

struct ConvDims {
  memory::desc src, wei, dst, bia;
  memory::dims strides, dil, pl, pr;
};

ConvDims Describe(const Geo& g) {
  ConvDims d;
  d.src = memory::desc({g.n, g.c, g.h, g.w}, dt::f32, tag::nhwc);
  d.dst = memory::desc({g.n, g.o, g.oh, g.ow}, dt::f32, tag::nhwc);
  if (g.groups == 1) {
    d.wei = memory::desc({g.o, g.c, g.kh, g.kw}, dt::f32, tag::hwio);
  } else {
    // TF's depthwise filter [KH, KW, C, M] is oneDNN's grouped weights {G=C, O=M, I=1} in hwigo.
    d.wei = memory::desc({g.groups, g.o / g.groups, g.c / g.groups, g.kh, g.kw}, dt::f32, tag::hwigo);
  }
  d.bia = memory::desc({g.o}, dt::f32, tag::x);
  d.strides = {g.sh, g.sw};
  d.dil = {g.dh - 1, g.dw - 1};  // oneDNN counts dilation from 0
  d.pl = {g.pt, g.pl};
  d.pr = {FitPad(g.h, g.kh, g.dh, g.sh, g.pt, g.pb, g.oh), FitPad(g.w, g.kw, g.dw, g.sw, g.pl, g.pr, g.ow)};
  return d;
}

// DISTILLERY_CONV_WEIGHTS=plain asks oneDNN for kernels that read TF's filter layout as is
// (no reorder per call); the default lets it pick its preferred (blocked) layout.
bool PlainWeights() {
  static const bool plain = [] {
    const char* v = std::getenv("DISTILLERY_CONV_WEIGHTS");
    return v != nullptr && std::string(v) == "plain";
  }();
  return plain;
}

memory::desc AnyLike(const memory::desc& m) { return PlainWeights() ? m : memory::desc(m.dims(), dt::f32, tag::any); }

// The forward primitive with weights in whatever layout oneDNN prefers: its jit kernels want
// blocked weights, and reordering the (small) filter each call is cheaper than a gemm fallback.
dnnl::convolution_forward::primitive_desc ForwardPd(const Geo& g, dnnl::prop_kind pk, bool withPostOps) {
  ConvDims d = Describe(g);
  dnnl::primitive_attr attr;
  if (withPostOps && g.act != 0) {
    dnnl::post_ops ops;
    if (g.act == 1) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    else ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f);
    attr.set_post_ops(ops);
  }
  if (withPostOps && g.bias) {
    dnnl::convolution_forward::desc cd(pk, dnnl::algorithm::convolution_direct, d.src, AnyLike(d.wei), d.bia, d.dst,
                                       d.strides, d.dil, d.pl, d.pr);
    return dnnl::convolution_forward::primitive_desc(cd, attr, Engine());
  }
  dnnl::convolution_forward::desc cd(pk, dnnl::algorithm::convolution_direct, d.src, AnyLike(d.wei), d.dst, d.strides,
                                     d.dil, d.pl, d.pr);
  return dnnl::convolution_forward::primitive_desc(cd, attr, Engine());
}

// A cached primitive plus the reorder between TF's filter layout and the one it wants.
struct Entry {
  dnnl::primitive prim;
  memory::desc userWei, primWei;
  bool needsReorder = false;
  dnnl::reorder reorder;  // user -> prim (forward, backward data) or prim -> user (backward weights)
  std::vector<float> weiScratch;
  std::string impl;
};

std::map<Key, std::unique_ptr<Entry>>& Cache() {
  static std::map<Key, std::unique_ptr<Entry>> cache;
  return cache;
}

void SetupWeights(Entry* e, const memory::desc& user, const memory::desc& prim, bool toUser) {
  e->userWei = user;
  e->primWei = prim;
  e->needsReorder = user != prim;
  if (!e->needsReorder) return;
  e->weiScratch.resize(prim.get_size() / sizeof(float));
  memory a(user, Engine(), DNNL_MEMORY_NONE), b(prim, Engine(), DNNL_MEMORY_NONE);
  e->reorder = toUser ? dnnl::reorder(b, a) : dnnl::reorder(a, b);
}

// Filters are small (a 3x3x64x64 one is 37k floats): a parallel region costs more than the
// copy, and under load a barrier waiting on a descheduled thread costs milliseconds.
void ReorderSerial(dnnl::reorder& r, dnnl::stream& s, memory& from, memory& to) {
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  r.execute(s, from, to);
  omp_set_num_threads(threads);
}

constexpr size_t kMaxCached = 1024;

enum Kind { kFwd = 0, kBwdData = 1, kBwdWeights = 2 };

Entry* Get(const Geo& g, Kind kind) {
  auto& cache = Cache();
  Key key = MakeKey(g, kind);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second.get();
  // a search over many architectures meets many shapes: start over rather than grow forever
  if (cache.size() >= kMaxCached) cache.clear();
  auto e = std::make_unique<Entry>();
  ConvDims d = Describe(g);
  if (kind == kFwd) {
    auto pd = ForwardPd(g, dnnl::prop_kind::forward_training, true);
    SetupWeights(e.get(), d.wei, pd.weights_desc(), false);
    e->prim = dnnl::convolution_forward(pd);
    e->impl = pd.impl_info_str();
  } else if (kind == kBwdData) {
    auto hint = ForwardPd(g, dnnl::prop_kind::forward_training, false);
    dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct, d.src, AnyLike(d.wei), d.dst,
                                             d.strides, d.dil, d.pl, d.pr);
    dnnl::convolution_backward_data::primitive_desc pd(bd, Engine(), hint);
    SetupWeights(e.get(), d.wei, pd.weights_desc(), false);
    e->prim = dnnl::convolution_backward_data(pd);
    e->impl = pd.impl_info_str();
  } else {
    auto hint = ForwardPd(g, dnnl::prop_kind::forward_training, false);
    dnnl::convolution_backward_weights::desc bd(dnnl::algorithm::convolution_direct, d.src, AnyLike(d.wei), d.dst,
                                                d.strides, d.dil, d.pl, d.pr);
    dnnl::convolution_backward_weights::primitive_desc pd(bd, Engine(), hint);
    SetupWeights(e.get(), d.wei, pd.diff_weights_desc(), true);
    e->prim = dnnl::convolution_backward_weights(pd);
    e->impl = pd.impl_info_str();
  }
  Entry* raw = e.get();
  cache.emplace(key, std::move(e));
  return raw;
}

// conv2d(x, filter, y, geo[, bias]): y = act(conv(x, filter) + bias).
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() {
    Geo g = ReadGeo(info[3]);
    CheckSizes(info[0], info[1], info[2], g);
    if (g.bias && f32len(info[4]) != static_cast<size_t>(g.o)) throw std::invalid_argument("conv bias needs one value per output channel");
    Entry* e = Get(g, kFwd);
    ConvDims d = Describe(g);
    memory src(d.src, Engine(), f32(info[0]));
    memory userWei(e->userWei, Engine(), f32(info[1]));
    memory dst(d.dst, Engine(), f32(info[2]));
    dnnl::stream& s = Stream();
    memory wei = userWei;
    if (e->needsReorder) {
      wei = memory(e->primWei, Engine(), e->weiScratch.data());
      ReorderSerial(e->reorder, s, userWei, wei);
    }
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    if (g.bias) args.emplace(DNNL_ARG_BIAS, memory(d.bia, Engine(), f32(info[4])));
    e->prim.execute(s, args);
    s.wait();
  });
}

// conv2dBackwardData(dy, filter, dx, geo): dx = conv^T(dy, filter).
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() {
    Geo g = ReadGeo(info[3]);
    CheckSizes(info[2], info[1], info[0], g);
    Entry* e = Get(g, kBwdData);
    ConvDims d = Describe(g);
    memory diffDst(d.dst, Engine(), f32(info[0]));
    memory userWei(e->userWei, Engine(), f32(info[1]));
    memory diffSrc(d.src, Engine(), f32(info[2]));
    dnnl::stream& s = Stream();
    memory wei = userWei;
    if (e->needsReorder) {
      wei = memory(e->primWei, Engine(), e->weiScratch.data());
      ReorderSerial(e->reorder, s, userWei, wei);
    }
    e->prim.execute(s, {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, diffSrc}});
    s.wait();
  });
}

// conv2dBackwardFilter(x, dy, dw, geo): the filter's gradient, in TF's layout.
Napi::Value Conv2dBackwardFilter(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() {
    Geo g = ReadGeo(info[3]);
    CheckSizes(info[0], info[2], info[1], g);
    Entry* e = Get(g, kBwdWeights);
    ConvDims d = Describe(g);
    memory src(d.src, Engine(), f32(info[0]));
    memory diffDst(d.dst, Engine(), f32(info[1]));
    memory userWei(e->userWei, Engine(), f32(info[2]));
    dnnl::stream& s = Stream();
    memory wei = e->needsReorder ? memory(e->primWei, Engine(), e->weiScratch.data()) : userWei;
    e->prim.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, wei}});
    if (e->needsReorder) ReorderSerial(e->reorder, s, wei, userWei);
    s.wait();
  });
}

// convImpl(geo, kind): which oneDNN implementation serves a shape (for benchmarks and tests).
Napi::Value ConvImpl(const Napi::CallbackInfo& info) {
  std::string impl;
  Napi::Value r = Guard(info, [&]() {
    Entry* e = Get(ReadGeo(info[0]), static_cast<Kind>(num(info[1])));
    impl = e->impl + (e->needsReorder ? " (+weights reorder)" : "");
  });
  if (info.Env().IsExceptionPending()) return r;
  return Napi::String::New(info.Env(), impl);
}

}  // namespace

void InitConvAlloc(Napi::Env env, Napi::Object exports);  // conv_alloc.cc

void InitConv(Napi::Env env, Napi::Object exports) {
  InitConvAlloc(env, exports);
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, Conv2dBackwardData));
  exports.Set("conv2dBackwardFilter", Napi::Function::New(env, Conv2dBackwardFilter));
  exports.Set("convImpl", Napi::Function::New(env, ConvImpl));
}

}  // namespace distillery
