// Pool kernels (placeholder until written).
#include "common.h"
namespace distillery {
void InitPool(Napi::Env, Napi::Object) {}
}  // namespace distillery
