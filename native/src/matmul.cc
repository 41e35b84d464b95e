// Matmul kernels (placeholder until written).
#include "common.h"
namespace distillery {
void InitMatmul(Napi::Env, Napi::Object) {}
}  // namespace distillery
