// Registers the optimizer kernels (adamwUpdate, sumOfSquares) on the addon's exports.
#pragma once

#include <node_api.h>

namespace steel {
bool DefineOptimizerKernels(napi_env env, napi_value exports);
}
