// Norm kernels (placeholder until written).
#include "common.h"
namespace distillery {
void InitNorm(Napi::Env, Napi::Object) {}
}  // namespace distillery
