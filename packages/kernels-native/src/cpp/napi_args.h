// Argument helpers shared by the addon's N-API functions (addon.cc, adamw_napi.cc).
#pragma once

#include <node_api.h>

#include <string>

namespace steel {

/** Throws a TypeError "steel kernels: <msg>"; returns nullptr for `return Fail(...)`. */
inline napi_value Fail(napi_env env, const std::string& msg) {
  napi_throw_type_error(env, nullptr, ("steel kernels: " + msg).c_str());
  return nullptr;
}

/** The first `n` arguments into argv; false if fewer were passed. */
inline bool GetArgs(napi_env env, napi_callback_info info, size_t n, napi_value* argv) {
  size_t argc = n;
  return napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok && argc >= n;
}

/** A typed array of exactly type `want`: its data and element count. */
inline bool GetTypedArray(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, length, data, nullptr, nullptr) != napi_ok) return false;
  return type == want;
}

constexpr const char* kThreadsError = "threads must be a number from 1 to 1024";

/** A thread count from 1 to 1024. */
inline bool GetThreads(napi_env env, napi_value v, unsigned* threads) {
  double t = 0;
  if (napi_get_value_double(env, v, &t) != napi_ok || !(t >= 1 && t <= 1024)) return false;
  *threads = static_cast<unsigned>(t);
  return true;
}

}  // namespace steel
