// Conv kernels (placeholder until written).
#include "common.h"
namespace distillery {
void InitConv(Napi::Env, Napi::Object) {}
}  // namespace distillery
