// Registers the allocator setting (keepFreedMemory) on the addon's exports.
#pragma once

#include <node_api.h>

namespace steel {
bool DefineMemoryKernels(napi_env env, napi_value exports);
}
