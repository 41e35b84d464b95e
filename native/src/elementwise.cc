// Elementwise kernels (placeholder until written).
#include "common.h"
namespace distillery {
void InitElementwise(Napi::Env, Napi::Object) {}
}  // namespace distillery
