// N-API surface of the optimizer kernels (blocking calls on the caller's thread, work spread over `threads`):
//   adamwUpdate(p: Float32Array[], g: Float32Array[], m: Float32Array[], v: Float32Array[], decay: Float64Array,
//               constants: Float64Array(8) [b1, b2, 1-b1, 1-b2, 1/sqrt(1-b2^t), eps, lr/(1-b1^t), gradScale],
//               threads: number) -> undefined
//   sumOfSquares(arrays: Float32Array[], threads: number) -> number
// The TypeScript wrapper validates arguments; the checks here only keep a wrong call from crashing the process.
#include "adamw_napi.h"

#include <string>
#include <vector>

#include "adamw.h"
#include "napi_args.h"

namespace steel {
namespace {

/** The Float32Arrays of a JS array; false (with `err`) on anything else. */
bool Float32List(napi_env env, napi_value list, const char* what, std::vector<std::pair<float*, size_t>>& out,
                 std::string& err) {
  bool is_array = false;
  uint32_t n = 0;
  if (napi_is_array(env, list, &is_array) != napi_ok || !is_array || napi_get_array_length(env, list, &n) != napi_ok) {
    err = std::string(what) + " must be an array of Float32Array";
    return false;
  }
  out.resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    void* data = nullptr;
    size_t len = 0;
    if (napi_get_element(env, list, i, &item) != napi_ok || !GetTypedArray(env, item, napi_float32_array, &data, &len)) {
      err = std::string(what) + "[" + std::to_string(i) + "] is not a Float32Array";
      return false;
    }
    out[i] = {static_cast<float*>(data), len};
  }
  return true;
}

napi_value AdamWUpdateNapi(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!GetArgs(env, info, 7, argv)) {
    return Fail(env, "adamwUpdate(p, g, m, v, decay, constants, threads) needs 7 arguments");
  }
  std::vector<std::pair<float*, size_t>> lists[4];
  const char* names[4] = {"p", "g", "m", "v"};
  std::string err;
  for (int k = 0; k < 4; k++) {
    if (!Float32List(env, argv[k], names[k], lists[k], err)) return Fail(env, err);
  }
  void* decay_raw = nullptr;
  size_t decay_n = 0;
  if (!GetTypedArray(env, argv[4], napi_float64_array, &decay_raw, &decay_n) || decay_n != lists[0].size()) {
    return Fail(env, "decay must be a Float64Array with one factor per tensor");
  }
  void* c_raw = nullptr;
  size_t c_n = 0;
  if (!GetTypedArray(env, argv[5], napi_float64_array, &c_raw, &c_n) || c_n != 8) {
    return Fail(env, "constants must be a Float64Array of 8 numbers");
  }
  unsigned threads = 1;
  if (!GetThreads(env, argv[6], &threads)) return Fail(env, kThreadsError);
  const double* decay = static_cast<const double*>(decay_raw);
  const double* k = static_cast<const double*>(c_raw);
  std::vector<AdamWTensor> tensors(lists[0].size());
  for (size_t i = 0; i < tensors.size(); i++) {
    const size_t n = lists[0][i].second;
    for (int j = 1; j < 4; j++) {
      if (lists[j].size() != tensors.size() || lists[j][i].second != n) {
        return Fail(env, std::string("tensor ") + std::to_string(i) + ": " + names[j] + " differs in length from p");
      }
    }
    tensors[i] = {lists[0][i].first, lists[1][i].first, lists[2][i].first, lists[3][i].first, n, decay[i]};
  }
  const AdamWConstants c{k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]};
  AdamWUpdate(tensors, c, threads);
  return nullptr;
}

napi_value SumOfSquaresNapi(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!GetArgs(env, info, 2, argv)) {
    return Fail(env, "sumOfSquares(arrays, threads) needs 2 arguments");
  }
  std::vector<std::pair<float*, size_t>> list;
  std::string err;
  if (!Float32List(env, argv[0], "arrays", list, err)) return Fail(env, err);
  unsigned threads = 1;
  if (!GetThreads(env, argv[1], &threads)) return Fail(env, kThreadsError);
  std::vector<std::pair<const float*, size_t>> arrays(list.begin(), list.end());
  napi_value out;
  if (napi_create_double(env, SumOfSquares(arrays, threads), &out) != napi_ok) return nullptr;
  return out;
}

}  // namespace

bool DefineOptimizerKernels(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"adamwUpdate", nullptr, AdamWUpdateNapi, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumOfSquares", nullptr, SumOfSquaresNapi, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) == napi_ok;
}

}  // namespace steel
