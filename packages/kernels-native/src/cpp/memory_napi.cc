// N-API surface of the allocator setting:
//   keepFreedMemory() -> boolean (true where applied: glibc)
// glibc returns large freed blocks to the OS (munmap of mmap'd chunks, trimming the heap top), so a program that
// frees and re-allocates the same large buffers every step pays for fresh pages each time: on a VM a page fault
// cost up to ~13 us in our measurements (see src/memory.ts). This makes glibc serve every size from its heap
// and never trim it, so freed memory is reused. It is process-wide and cannot be undone; peak RSS then stays.
#include "memory_napi.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace steel {
namespace {

napi_value KeepFreedMemory(napi_env env, napi_callback_info) {
  bool applied = false;
#if defined(__GLIBC__)
  // M_MMAP_MAX 0: no mmap'd chunks (whose free is an munmap); M_TRIM_THRESHOLD: never give the heap top back.
  applied = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, 0x7fffffff) == 1;
#endif
  napi_value out;
  if (napi_get_boolean(env, applied, &out) != napi_ok) return nullptr;
  return out;
}

}  // namespace

bool DefineMemoryKernels(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"keepFreedMemory", nullptr, KeepFreedMemory, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) == napi_ok;
}

}  // namespace steel
