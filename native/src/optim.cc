// Optim kernels (placeholder until written).
#include "common.h"
namespace distillery {
void InitOptim(Napi::Env, Napi::Object) {}
}  // namespace distillery
