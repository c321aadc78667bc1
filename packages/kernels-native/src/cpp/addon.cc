// N-API surface of the kernels (plain node_api.h, no node-addon-api, so nothing beyond Node's own headers is needed):
//   qwen2BpeCreate(byteIds: Int32Array(256), merges: Int32Array(3 * n), heapFromBytes: number) -> handle
//   qwen2BpeEncode(handle, segments: string[], threads: number) -> Promise<{ids: Int32Array, ends: Uint32Array}>
//   qwen2BpeEncodeSync(handle, segments: string[], threads: number) -> {ids, ends}
//   qwen2BpePreTokenize(handle, text: string) -> Uint32Array of [start, end) UTF-8 byte offsets per piece
// and the optimizer kernels of adamw_napi.cc (adamwUpdate, sumOfSquares), memory_napi.cc's keepFreedMemory.
// ends[i] is where segment i's ids end in `ids`. The TypeScript wrapper validates arguments; the checks here only
// keep a wrong call from crashing the process.
#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adamw_napi.h"
#include "memory_napi.h"
#include "napi_args.h"
#include "qwen2_bpe.h"

namespace {

using steel::Qwen2Bpe;

#define CHECK_NAPI(env, call)                                      \
  do {                                                             \
    if ((call) != napi_ok) {                                       \
      ThrowLastError(env, #call);                                  \
      return nullptr;                                              \
    }                                                              \
  } while (0)

void ThrowLastError(napi_env env, const char* what) {
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  std::string msg = std::string("steel kernels: ") + what + " failed";
  if (info && info->error_message) msg += std::string(": ") + info->error_message;
  napi_throw_error(env, nullptr, msg.c_str());
}

struct Handle {
  std::shared_ptr<const Qwen2Bpe> bpe;
};

void FinalizeHandle(napi_env, void* data, void*) { delete static_cast<Handle*>(data); }

bool GetInt32Array(napi_env env, napi_value v, const int32_t** data, size_t* length) {
  void* raw = nullptr;
  if (!steel::GetTypedArray(env, v, napi_int32_array, &raw, length)) return false;
  *data = static_cast<const int32_t*>(raw);
  return true;
}

napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < 3) return steel::Fail(env, "qwen2BpeCreate(byteIds, merges, heapFromBytes) needs 3 arguments");
  const int32_t* byte_ids = nullptr;
  size_t byte_count = 0;
  if (!GetInt32Array(env, argv[0], &byte_ids, &byte_count) || byte_count != 256) {
    return steel::Fail(env, "byteIds must be an Int32Array of 256 ids");
  }
  const int32_t* flat = nullptr;
  size_t flat_count = 0;
  if (!GetInt32Array(env, argv[1], &flat, &flat_count) || flat_count % 3 != 0) {
    return steel::Fail(env, "merges must be an Int32Array of [left, right, merged] id triples");
  }
  double heap_from = 0;
  if (napi_get_value_double(env, argv[2], &heap_from) != napi_ok || !(heap_from >= 0)) {
    return steel::Fail(env, "heapFromBytes must be a number >= 0");
  }
  std::vector<steel::Merge> merges(flat_count / 3);
  for (size_t i = 0; i < merges.size(); i++) {
    if (flat[3 * i] < 0 || flat[3 * i + 1] < 0 || flat[3 * i + 2] < 0) {
      return steel::Fail(env, "merge " + std::to_string(i) + " has a negative id");
    }
    merges[i] = {static_cast<uint32_t>(flat[3 * i]), static_cast<uint32_t>(flat[3 * i + 1]),
                 static_cast<uint32_t>(flat[3 * i + 2])};
  }
  auto bpe = std::make_shared<Qwen2Bpe>();
  std::string err;
  try {
    err = bpe->Init(byte_ids, merges, static_cast<size_t>(heap_from));
  } catch (const std::exception& e) {
    err = e.what();
  }
  if (!err.empty()) return steel::Fail(env, err);
  auto* handle = new Handle{std::move(bpe)};
  napi_value out;
  if (napi_create_external(env, handle, FinalizeHandle, nullptr, &out) != napi_ok) {
    delete handle;
    ThrowLastError(env, "napi_create_external");
    return nullptr;
  }
  return out;
}

bool GetHandle(napi_env env, napi_value v, Handle** handle) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return false;
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == nullptr) return false;
  *handle = static_cast<Handle*>(data);
  return true;
}

// All segments as UTF-8 in one buffer; V8 replaces lone surrogates by U+FFFD while converting.
struct Batch {
  std::vector<uint8_t> text;
  std::vector<size_t> starts;  // segment i is text[starts[i], starts[i + 1])
};

bool ReadSegments(napi_env env, napi_value array, Batch& batch, std::string& err) {
  bool is_array = false;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array) {
    err = "segments must be an array of strings";
    return false;
  }
  uint32_t count = 0;
  napi_get_array_length(env, array, &count);
  std::vector<napi_value> values(count);
  size_t capacity = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_valuetype t;
    if (napi_get_element(env, array, i, &values[i]) != napi_ok || napi_typeof(env, values[i], &t) != napi_ok ||
        t != napi_string) {
      err = "segments[" + std::to_string(i) + "] is not a string";
      return false;
    }
    size_t units = 0;
    napi_get_value_string_utf16(env, values[i], nullptr, 0, &units);
    capacity += units * 3 + 1;  // a UTF-16 unit never needs more than 3 UTF-8 bytes; +1 for the terminator
  }
  batch.text.resize(capacity + 1);
  batch.starts.assign(1, 0);
  size_t used = 0;
  for (uint32_t i = 0; i < count; i++) {
    size_t written = 0;
    char* dst = reinterpret_cast<char*>(batch.text.data() + used);
    if (napi_get_value_string_utf8(env, values[i], dst, batch.text.size() - used, &written) != napi_ok) {
      err = "cannot read segments[" + std::to_string(i) + "]";
      return false;
    }
    used += written;
    batch.starts.push_back(used);
  }
  return true;
}

struct Result {
  std::vector<int32_t> ids;
  std::vector<uint32_t> ends;
};

// Segments are taken one at a time from a shared counter, so long and short documents balance across threads.
void EncodeBatch(const Qwen2Bpe& bpe, const Batch& batch, unsigned threads, Result& result) {
  const size_t count = batch.starts.size() - 1;
  result.ends.assign(count, 0);
  result.ids.clear();
  threads = static_cast<unsigned>(std::min<size_t>(threads, count));
  if (threads <= 1) {
    Qwen2Bpe::Scratch scratch;
    for (size_t i = 0; i < count; i++) {
      bpe.EncodeSegment(batch.text.data() + batch.starts[i], batch.starts[i + 1] - batch.starts[i], scratch,
                        result.ids);
      result.ends[i] = static_cast<uint32_t>(result.ids.size());
    }
    return;
  }
  struct Place {
    uint32_t worker;
    size_t begin;
    size_t end;
  };
  std::vector<Place> places(count);
  std::vector<std::vector<int32_t>> outputs(threads);
  std::atomic<size_t> next{0};
  auto work = [&](unsigned w) {
    Qwen2Bpe::Scratch scratch;
    std::vector<int32_t>& out = outputs[w];
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < count;) {
      const size_t begin = out.size();
      bpe.EncodeSegment(batch.text.data() + batch.starts[i], batch.starts[i + 1] - batch.starts[i], scratch, out);
      places[i] = {w, begin, out.size()};
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads; w++) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  size_t total = 0;
  for (const auto& o : outputs) total += o.size();
  result.ids.resize(total);
  size_t at = 0;
  for (size_t i = 0; i < count; i++) {
    const Place& p = places[i];
    std::memcpy(result.ids.data() + at, outputs[p.worker].data() + p.begin, (p.end - p.begin) * sizeof(int32_t));
    at += p.end - p.begin;
    result.ends[i] = static_cast<uint32_t>(at);
  }
}

napi_value TypedArrayOf(napi_env env, napi_typedarray_type type, const void* data, size_t count) {
  void* dst = nullptr;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, count * 4, &dst, &buffer) != napi_ok) return nullptr;
  if (count > 0) std::memcpy(dst, data, count * 4);
  if (napi_create_typedarray(env, type, count, buffer, 0, &array) != napi_ok) return nullptr;
  return array;
}

napi_value ResultObject(napi_env env, const Result& r) {
  napi_value obj;
  CHECK_NAPI(env, napi_create_object(env, &obj));
  napi_value ids = TypedArrayOf(env, napi_int32_array, r.ids.data(), r.ids.size());
  napi_value ends = TypedArrayOf(env, napi_uint32_array, r.ends.data(), r.ends.size());
  if (!ids || !ends) {
    ThrowLastError(env, "creating the result arrays");
    return nullptr;
  }
  CHECK_NAPI(env, napi_set_named_property(env, obj, "ids", ids));
  CHECK_NAPI(env, napi_set_named_property(env, obj, "ends", ends));
  return obj;
}

bool ParseEncodeArgs(napi_env env, napi_callback_info info, Handle** handle, Batch& batch, unsigned* threads,
                     std::string& err) {
  napi_value argv[3];
  if (!steel::GetArgs(env, info, 3, argv)) {
    err = "encode(handle, segments, threads) needs 3 arguments";
    return false;
  }
  if (!GetHandle(env, argv[0], handle)) {
    err = "the first argument must be a handle from qwen2BpeCreate";
    return false;
  }
  if (!steel::GetThreads(env, argv[2], threads)) {
    err = steel::kThreadsError;
    return false;
  }
  return ReadSegments(env, argv[1], batch, err);
}

napi_value EncodeSync(napi_env env, napi_callback_info info) {
  Handle* handle = nullptr;
  Batch batch;
  unsigned threads = 1;
  std::string err;
  if (!ParseEncodeArgs(env, info, &handle, batch, &threads, err)) return steel::Fail(env, err);
  Result result;
  try {
    EncodeBatch(*handle->bpe, batch, threads, result);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("steel kernels: encoding failed: ") + e.what()).c_str());
    return nullptr;
  }
  return ResultObject(env, result);
}

struct AsyncEncode {
  std::shared_ptr<const Qwen2Bpe> bpe;  // keeps the model alive even if the handle is collected meanwhile
  Batch batch;
  unsigned threads = 1;
  Result result;
  std::string error;
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
};

void ExecuteEncode(napi_env, void* data) {
  auto* job = static_cast<AsyncEncode*>(data);
  try {
    EncodeBatch(*job->bpe, job->batch, job->threads, job->result);
  } catch (const std::exception& e) {
    job->error = std::string("steel kernels: encoding failed: ") + e.what();
  }
  job->batch = Batch();  // free the input text early
}

void CompleteEncode(napi_env env, napi_status status, void* data) {
  std::unique_ptr<AsyncEncode> job(static_cast<AsyncEncode*>(data));
  napi_value value = nullptr;
  if (status == napi_ok && job->error.empty()) value = ResultObject(env, job->result);
  if (value) {
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    napi_value error = nullptr;
    if (pending) {
      napi_get_and_clear_last_exception(env, &error);
    } else {
      napi_value msg;
      const std::string text = job->error.empty() ? "steel kernels: encoding was cancelled" : job->error;
      napi_create_string_utf8(env, text.c_str(), text.size(), &msg);
      napi_create_error(env, nullptr, msg, &error);
    }
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
}

napi_value Encode(napi_env env, napi_callback_info info) {
  auto job = std::make_unique<AsyncEncode>();
  Handle* handle = nullptr;
  std::string err;
  if (!ParseEncodeArgs(env, info, &handle, job->batch, &job->threads, err)) return steel::Fail(env, err);
  job->bpe = handle->bpe;
  napi_value promise, name;
  CHECK_NAPI(env, napi_create_promise(env, &job->deferred, &promise));
  CHECK_NAPI(env, napi_create_string_utf8(env, "steel.qwen2BpeEncode", NAPI_AUTO_LENGTH, &name));
  CHECK_NAPI(env, napi_create_async_work(env, nullptr, name, ExecuteEncode, CompleteEncode, job.get(), &job->work));
  CHECK_NAPI(env, napi_queue_async_work(env, job->work));
  job.release();  // owned by CompleteEncode now
  return promise;
}

napi_value PreTokenize(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Handle* handle = nullptr;
  if (argc < 2 || !GetHandle(env, argv[0], &handle)) return steel::Fail(env, "preTokenize(handle, text) needs a handle");
  napi_value one;
  CHECK_NAPI(env, napi_create_array_with_length(env, 1, &one));
  CHECK_NAPI(env, napi_set_element(env, one, 0, argv[1]));
  Batch batch;
  std::string err;
  if (!ReadSegments(env, one, batch, err)) return steel::Fail(env, "text must be a string");
  std::vector<uint32_t> bounds;
  Qwen2Bpe::Scratch scratch;
  handle->bpe->PreTokenize(batch.text.data(), batch.starts[1], scratch, bounds);
  napi_value out = TypedArrayOf(env, napi_uint32_array, bounds.data(), bounds.size());
  if (!out) ThrowLastError(env, "creating the result array");
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"qwen2BpeCreate", nullptr, Create, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"qwen2BpeEncode", nullptr, Encode, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"qwen2BpeEncodeSync", nullptr, EncodeSync, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"qwen2BpePreTokenize", nullptr, PreTokenize, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  CHECK_NAPI(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  if (!steel::DefineOptimizerKernels(env, exports) || !steel::DefineMemoryKernels(env, exports)) {
    ThrowLastError(env, "defining the optimizer kernels");
    return nullptr;
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
