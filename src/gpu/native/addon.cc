// N-API glue of the GPU bridge's native backends. One addon, two kernel sets behind the same
// calls: `cpu` kernels read and write Float32Arrays in place; `cuda` kernels (built only where
// nvcc was found, FABRIC_WITH_CUDA) take device buffers, which JS holds as externals.
//
// The TypeScript layer (src/gpu/ops.ts) checks shapes before calling; this file re-checks that
// every buffer is large enough for the dimensions it is given, so a wrong call is a thrown error,
// never a write out of bounds.
#define NAPI_VERSION 8
#include <node_api.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "kernels.h"

namespace {

struct ThrowError {
  std::string code, message;
};

void check(napi_env env, napi_status status, const char* what) {
  if (status != napi_ok) throw ThrowError{"invalid-argument", std::string("native call: bad ") + what};
}

int64_t int_arg(napi_env env, napi_value v, const char* what) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !std::isfinite(d) || d < 0 || d != std::floor(d) || d > 9.0e15) {
    throw ThrowError{"invalid-argument", std::string("native call: ") + what + " must be a non-negative integer"};
  }
  return static_cast<int64_t>(d);
}

float float_arg(napi_env env, napi_value v, const char* what) {
  double d;
  check(env, napi_get_value_double(env, v, &d), what);
  return static_cast<float>(d);
}

bool is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

/** A device allocation owned by JS through an external. */
struct DeviceBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
};

/** The f32 pointer behind a Float32Array (cpu) or a device-buffer external (cuda), checked to hold `need` floats. */
float* buffer_arg(napi_env env, napi_value v, bool cuda, int64_t need, const char* what) {
  if (cuda) {
    void* data;
    if (napi_get_value_external(env, v, &data) != napi_ok || data == nullptr) {
      throw ThrowError{"invalid-argument", std::string("native call: ") + what + " must be a device buffer"};
    }
    auto* buf = static_cast<DeviceBuffer*>(data);
    if (buf->ptr == nullptr) throw ThrowError{"released", std::string("native call: ") + what + " was freed"};
    if (static_cast<int64_t>(buf->bytes / sizeof(float)) < need) {
      throw ThrowError{"invalid-argument", std::string("native call: ") + what + " is smaller than its dimensions"};
    }
    return static_cast<float*>(buf->ptr);
  }
  bool is_typed;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed) throw ThrowError{"invalid-argument", std::string("native call: ") + what + " must be a Float32Array"};
  napi_typedarray_type type;
  size_t length;
  void* data;
  check(env, napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr), what);
  if (type != napi_float32_array) throw ThrowError{"invalid-argument", std::string("native call: ") + what + " must be a Float32Array"};
  if (static_cast<int64_t>(length) < need) throw ThrowError{"invalid-argument", std::string("native call: ") + what + " is smaller than its dimensions"};
  return static_cast<float*>(data);
}

const char* code_name(int code) {
  switch (code) {
    case FK_ERR_OOM: return "out-of-memory";
    case FK_ERR_ARG: return "invalid-argument";
    default: return "backend";
  }
}

void result(int code, bool cuda) {
  if (code == FK_OK) return;
#ifdef FABRIC_WITH_CUDA
  const char* msg = cuda ? fkc_last_error() : fk_last_error();
#else
  (void)cuda;
  const char* msg = fk_last_error();
#endif
  throw ThrowError{code_name(code), msg};
}

template <size_t N>
void args(napi_env env, napi_callback_info info, napi_value (&argv)[N], const char* name) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != N) throw ThrowError{"invalid-argument", std::string("native ") + name + ": expected " + std::to_string(N) + " arguments"};
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value throw_js(napi_env env, const ThrowError& e) {
  napi_value code, msg, err;
  napi_create_string_utf8(env, e.code.c_str(), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, e.message.c_str(), NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  napi_throw(env, err);
  return nullptr;
}

// ---- the kernel calls, one body for both kernel sets ---------------------------------------

template <bool CUDA>
struct K;

template <>
struct K<false> {
  static constexpr auto gemm = fk_gemm; static constexpr auto linear = fk_linear; static constexpr auto binary = fk_binary;
  static constexpr auto scale = fk_scale; static constexpr auto unary = fk_unary; static constexpr auto softmax = fk_softmax;
  static constexpr auto reduce = fk_reduce; static constexpr auto transpose = fk_transpose; static constexpr auto conv2d = fk_conv2d;
  static constexpr auto unary_grad = fk_unary_grad; static constexpr auto log_softmax = fk_log_softmax; static constexpr auto softmax_grad = fk_softmax_grad;
  static constexpr auto repeat = fk_repeat; static constexpr auto conv2d_grad_input = fk_conv2d_grad_input; static constexpr auto conv2d_grad_weight = fk_conv2d_grad_weight;
  static constexpr auto dropout = fk_dropout;
};
#ifdef FABRIC_WITH_CUDA
template <>
struct K<true> {
  static constexpr auto gemm = fkc_gemm; static constexpr auto linear = fkc_linear; static constexpr auto binary = fkc_binary;
  static constexpr auto scale = fkc_scale; static constexpr auto unary = fkc_unary; static constexpr auto softmax = fkc_softmax;
  static constexpr auto reduce = fkc_reduce; static constexpr auto transpose = fkc_transpose; static constexpr auto conv2d = fkc_conv2d;
  static constexpr auto unary_grad = fkc_unary_grad; static constexpr auto log_softmax = fkc_log_softmax; static constexpr auto softmax_grad = fkc_softmax_grad;
  static constexpr auto repeat = fkc_repeat; static constexpr auto conv2d_grad_input = fkc_conv2d_grad_input; static constexpr auto conv2d_grad_weight = fkc_conv2d_grad_weight;
  static constexpr auto dropout = fkc_dropout;
};
#endif

/** Run a call's body, turning a ThrowError into a thrown JS Error whose `code` names the kind. */
template <typename F>
napi_value guard(napi_env env, F body) {
  try {
    return body();
  } catch (const ThrowError& e) {
    return throw_js(env, e);
  }
}

// gemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB)
template <bool C>
napi_value Gemm(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[11];
    args(env, info, v, "gemm");
    const int64_t batch = int_arg(env, v[3], "batch"), m = int_arg(env, v[4], "m"), n = int_arg(env, v[5], "n"), k = int_arg(env, v[6], "k");
    const int64_t ta = int_arg(env, v[7], "transA"), tb = int_arg(env, v[8], "transB"), sa = int_arg(env, v[9], "strideA"), sb = int_arg(env, v[10], "strideB");
    if (batch > 0 && ((sa != 0 && sa < m * k) || (sb != 0 && sb < k * n))) throw ThrowError{"invalid-argument", "native gemm: batch strides overlap"};
    const int64_t needA = batch == 0 ? 0 : (batch - 1) * sa + m * k, needB = batch == 0 ? 0 : (batch - 1) * sb + k * n;
    const float* a = buffer_arg(env, v[0], C, needA, "a");
    const float* b = buffer_arg(env, v[1], C, needB, "b");
    float* c = buffer_arg(env, v[2], C, batch * m * n, "c");
    if (batch * m * n > 0) result(K<C>::gemm(a, b, c, batch, m, n, k, ta != 0, tb != 0, sa, sb), C);
    return undefined(env);
  });
}

// linear(x, w, bias | null, y, rows, in, out)
template <bool C>
napi_value Linear(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[7];
    args(env, info, v, "linear");
    const int64_t rows = int_arg(env, v[4], "rows"), in = int_arg(env, v[5], "in"), out = int_arg(env, v[6], "out");
    const float* x = buffer_arg(env, v[0], C, rows * in, "x");
    const float* w = buffer_arg(env, v[1], C, out * in, "w");
    const float* bias = is_null(env, v[2]) ? nullptr : buffer_arg(env, v[2], C, out, "bias");
    float* y = buffer_arg(env, v[3], C, rows * out, "y");
    if (rows * out > 0) result(K<C>::linear(x, w, bias, y, rows, in, out), C);
    return undefined(env);
  });
}

// binary(op, a, b, c, n, bn)
template <bool C>
napi_value Binary(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[6];
    args(env, info, v, "binary");
    const int64_t op = int_arg(env, v[0], "op"), n = int_arg(env, v[4], "n"), bn = int_arg(env, v[5], "bn");
    if (n > 0 && (bn == 0 || n % bn != 0)) throw ThrowError{"invalid-argument", "native binary: bn must divide n"};
    const float* a = buffer_arg(env, v[1], C, n, "a");
    const float* b = buffer_arg(env, v[2], C, n > 0 ? bn : 0, "b");
    float* c = buffer_arg(env, v[3], C, n, "c");
    if (n > 0) result(K<C>::binary(static_cast<int>(op), a, b, c, n, bn), C);
    return undefined(env);
  });
}

// scale(a, c, n, factor)
template <bool C>
napi_value Scale(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[4];
    args(env, info, v, "scale");
    const int64_t n = int_arg(env, v[2], "n");
    const float f = float_arg(env, v[3], "factor");
    const float* a = buffer_arg(env, v[0], C, n, "a");
    float* c = buffer_arg(env, v[1], C, n, "c");
    if (n > 0) result(K<C>::scale(a, c, n, f), C);
    return undefined(env);
  });
}

// unary(op, a, c, n)
template <bool C>
napi_value Unary(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[4];
    args(env, info, v, "unary");
    const int64_t op = int_arg(env, v[0], "op"), n = int_arg(env, v[3], "n");
    const float* a = buffer_arg(env, v[1], C, n, "a");
    float* c = buffer_arg(env, v[2], C, n, "c");
    if (n > 0) result(K<C>::unary(static_cast<int>(op), a, c, n), C);
    return undefined(env);
  });
}

// softmax(a, c, outer, dim, inner)
template <bool C>
napi_value Softmax(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[5];
    args(env, info, v, "softmax");
    const int64_t outer = int_arg(env, v[2], "outer"), dim = int_arg(env, v[3], "dim"), inner = int_arg(env, v[4], "inner");
    const float* a = buffer_arg(env, v[0], C, outer * dim * inner, "a");
    float* c = buffer_arg(env, v[1], C, outer * dim * inner, "c");
    if (outer * dim * inner > 0) result(K<C>::softmax(a, c, outer, dim, inner), C);
    return undefined(env);
  });
}

// reduce(op, a, c, outer, dim, inner)
template <bool C>
napi_value Reduce(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[6];
    args(env, info, v, "reduce");
    const int64_t op = int_arg(env, v[0], "op"), outer = int_arg(env, v[3], "outer"), dim = int_arg(env, v[4], "dim"), inner = int_arg(env, v[5], "inner");
    const float* a = buffer_arg(env, v[1], C, outer * dim * inner, "a");
    float* c = buffer_arg(env, v[2], C, outer * inner, "c");
    if (outer * inner > 0) result(K<C>::reduce(static_cast<int>(op), a, c, outer, dim, inner), C);
    return undefined(env);
  });
}

// transpose(a, c, batch, rows, cols)
template <bool C>
napi_value Transpose(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[5];
    args(env, info, v, "transpose");
    const int64_t batch = int_arg(env, v[2], "batch"), rows = int_arg(env, v[3], "rows"), cols = int_arg(env, v[4], "cols");
    const float* a = buffer_arg(env, v[0], C, batch * rows * cols, "a");
    float* c = buffer_arg(env, v[1], C, batch * rows * cols, "c");
    if (batch * rows * cols > 0) result(K<C>::transpose(a, c, batch, rows, cols), C);
    return undefined(env);
  });
}

// conv2d(x, w, bias | null, y, n, c, h, w, k, r, s, stride, pad, oh, ow)
template <bool C>
napi_value Conv2d(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[15];
    args(env, info, v, "conv2d");
    int64_t d[11];
    const char* names[11] = {"n", "c", "h", "w", "k", "r", "s", "stride", "pad", "oh", "ow"};
    for (int i = 0; i < 11; i++) d[i] = int_arg(env, v[4 + i], names[i]);
    const int64_t n = d[0], c = d[1], h = d[2], wd = d[3], k = d[4], r = d[5], s = d[6], stride = d[7], pad = d[8], oh = d[9], ow = d[10];
    if (stride == 0) throw ThrowError{"invalid-argument", "native conv2d: stride must be >= 1"};
    if (h + 2 * pad < r || wd + 2 * pad < s || oh != (h + 2 * pad - r) / stride + 1 || ow != (wd + 2 * pad - s) / stride + 1) {
      throw ThrowError{"invalid-argument", "native conv2d: output size does not match the input, kernel, stride and padding"};
    }
    const float* x = buffer_arg(env, v[0], C, n * c * h * wd, "x");
    const float* w = buffer_arg(env, v[1], C, k * c * r * s, "w");
    const float* bias = is_null(env, v[2]) ? nullptr : buffer_arg(env, v[2], C, k, "bias");
    float* y = buffer_arg(env, v[3], C, n * k * oh * ow, "y");
    if (n * k * oh * ow > 0) result(K<C>::conv2d(x, w, bias, y, n, c, h, wd, k, r, s, stride, pad, oh, ow), C);
    return undefined(env);
  });
}

// unaryGrad(op, x, g, c, n)
template <bool C>
napi_value UnaryGrad(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[5];
    args(env, info, v, "unaryGrad");
    const int64_t op = int_arg(env, v[0], "op"), n = int_arg(env, v[4], "n");
    const float* x = buffer_arg(env, v[1], C, n, "x");
    const float* g = buffer_arg(env, v[2], C, n, "g");
    float* c = buffer_arg(env, v[3], C, n, "c");
    if (n > 0) result(K<C>::unary_grad(static_cast<int>(op), x, g, c, n), C);
    return undefined(env);
  });
}

// logSoftmax(a, c, outer, dim, inner)
template <bool C>
napi_value LogSoftmax(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[5];
    args(env, info, v, "logSoftmax");
    const int64_t outer = int_arg(env, v[2], "outer"), dim = int_arg(env, v[3], "dim"), inner = int_arg(env, v[4], "inner");
    const float* a = buffer_arg(env, v[0], C, outer * dim * inner, "a");
    float* c = buffer_arg(env, v[1], C, outer * dim * inner, "c");
    if (outer * dim * inner > 0) result(K<C>::log_softmax(a, c, outer, dim, inner), C);
    return undefined(env);
  });
}

// softmaxGrad(log, y, g, c, outer, dim, inner)
template <bool C>
napi_value SoftmaxGrad(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[7];
    args(env, info, v, "softmaxGrad");
    const int64_t log = int_arg(env, v[0], "log"), outer = int_arg(env, v[4], "outer"), dim = int_arg(env, v[5], "dim"), inner = int_arg(env, v[6], "inner");
    const float* y = buffer_arg(env, v[1], C, outer * dim * inner, "y");
    const float* g = buffer_arg(env, v[2], C, outer * dim * inner, "g");
    float* c = buffer_arg(env, v[3], C, outer * dim * inner, "c");
    if (outer * dim * inner > 0) result(K<C>::softmax_grad(log != 0 ? 1 : 0, y, g, c, outer, dim, inner), C);
    return undefined(env);
  });
}

// repeat(a, c, outer, dim, inner)
template <bool C>
napi_value Repeat(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[5];
    args(env, info, v, "repeat");
    const int64_t outer = int_arg(env, v[2], "outer"), dim = int_arg(env, v[3], "dim"), inner = int_arg(env, v[4], "inner");
    const float* a = buffer_arg(env, v[0], C, outer * inner, "a");
    float* c = buffer_arg(env, v[1], C, outer * dim * inner, "c");
    if (outer * dim * inner > 0) result(K<C>::repeat(a, c, outer, dim, inner), C);
    return undefined(env);
  });
}

// conv2dGradInput(g, w, dx, n, c, h, w, k, r, s, stride, pad, oh, ow) and
// conv2dGradWeight(x, g, dw, ...): the same dimensions as conv2d's.
template <bool C, bool INPUT>
napi_value Conv2dGrad(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[14];
    args(env, info, v, INPUT ? "conv2dGradInput" : "conv2dGradWeight");
    int64_t d[11];
    const char* names[11] = {"n", "c", "h", "w", "k", "r", "s", "stride", "pad", "oh", "ow"};
    for (int i = 0; i < 11; i++) d[i] = int_arg(env, v[3 + i], names[i]);
    const int64_t n = d[0], c = d[1], h = d[2], wd = d[3], k = d[4], r = d[5], s = d[6], stride = d[7], pad = d[8], oh = d[9], ow = d[10];
    if (stride == 0) throw ThrowError{"invalid-argument", "native conv2d grad: stride must be >= 1"};
    if (h + 2 * pad < r || wd + 2 * pad < s || oh != (h + 2 * pad - r) / stride + 1 || ow != (wd + 2 * pad - s) / stride + 1) {
      throw ThrowError{"invalid-argument", "native conv2d grad: output size does not match the input, kernel, stride and padding"};
    }
    if (INPUT) {
      const float* g = buffer_arg(env, v[0], C, n * k * oh * ow, "g");
      const float* w = buffer_arg(env, v[1], C, k * c * r * s, "w");
      float* dx = buffer_arg(env, v[2], C, n * c * h * wd, "dx");
      if (n * c * h * wd > 0) result(K<C>::conv2d_grad_input(g, w, dx, n, c, h, wd, k, r, s, stride, pad, oh, ow), C);
    } else {
      const float* x = buffer_arg(env, v[0], C, n * c * h * wd, "x");
      const float* g = buffer_arg(env, v[1], C, n * k * oh * ow, "g");
      float* dw = buffer_arg(env, v[2], C, k * c * r * s, "dw");
      if (k * c * r * s > 0) result(K<C>::conv2d_grad_weight(x, g, dw, n, c, h, wd, k, r, s, stride, pad, oh, ow), C);
    }
    return undefined(env);
  });
}

// dropout(a, c, n, p, seed)
template <bool C>
napi_value Dropout(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[5];
    args(env, info, v, "dropout");
    const int64_t n = int_arg(env, v[2], "n"), seed = int_arg(env, v[4], "seed");
    const float p = float_arg(env, v[3], "p");
    if (seed > 0xffffffffLL) throw ThrowError{"invalid-argument", "native dropout: seed must fit in 32 bits"};
    if (!(p >= 0.0f && p < 1.0f)) throw ThrowError{"invalid-argument", "native dropout: p must be in [0, 1)"};
    const float* a = buffer_arg(env, v[0], C, n, "a");
    float* c = buffer_arg(env, v[1], C, n, "c");
    if (n > 0) result(K<C>::dropout(a, c, n, p, static_cast<uint32_t>(seed)), C);
    return undefined(env);
  });
}

napi_value CpuGemmImpl(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, fk_gemm_impl(), NAPI_AUTO_LENGTH, &s);
  return s;
}

// ---- cuda: device and memory ---------------------------------------------------------------

#ifdef FABRIC_WITH_CUDA
void finalize_buffer(napi_env, void* data, void*) {
  auto* buf = static_cast<DeviceBuffer*>(data);
  if (buf->ptr != nullptr) fkc_free(buf->ptr);
  delete buf;
}

DeviceBuffer* external_arg(napi_env env, napi_value v) {
  void* data;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == nullptr) throw ThrowError{"invalid-argument", "native cuda: not a device buffer"};
  return static_cast<DeviceBuffer*>(data);
}

// init() -> { devices, name, gemm }
napi_value CudaInit(napi_env env, napi_callback_info) {
  return guard(env, [&]() -> napi_value {
    char name[256] = "";
    const int count = fkc_init(name, sizeof name);
    if (count < 0) throw ThrowError{"backend", fkc_last_error()};
    napi_value obj, devices, dev_name, gemm;
    napi_create_object(env, &obj);
    napi_create_int32(env, count, &devices);
    napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &dev_name);
    napi_create_string_utf8(env, count > 0 ? fkc_gemm_impl() : "", NAPI_AUTO_LENGTH, &gemm);
    napi_set_named_property(env, obj, "devices", devices);
    napi_set_named_property(env, obj, "name", dev_name);
    napi_set_named_property(env, obj, "gemm", gemm);
    return obj;
  });
}

// alloc(floats) -> external; freed by free() or, failing that, when JS collects it.
napi_value CudaAlloc(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[1];
    args(env, info, v, "alloc");
    const int64_t floats = int_arg(env, v[0], "floats");
    auto* buf = new DeviceBuffer();
    if (fkc_malloc(&buf->ptr, floats * sizeof(float)) != FK_OK) {
      delete buf;
      throw ThrowError{"out-of-memory", fkc_last_error()};
    }
    buf->bytes = floats * sizeof(float);
    napi_value ext;
    napi_create_external(env, buf, finalize_buffer, nullptr, &ext);
    return ext;
  });
}

napi_value CudaFree(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[1];
    args(env, info, v, "free");
    DeviceBuffer* buf = external_arg(env, v[0]);
    if (buf->ptr != nullptr) {
      fkc_free(buf->ptr);
      buf->ptr = nullptr;
      buf->bytes = 0;
    }
    return undefined(env);
  });
}

// upload(buffer, Float32Array) / download(buffer, Float32Array): whole-array copies.
template <bool UP>
napi_value CudaCopy(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value v[2];
    args(env, info, v, UP ? "upload" : "download");
    DeviceBuffer* buf = external_arg(env, v[0]);
    if (buf->ptr == nullptr) throw ThrowError{"released", "native cuda: the device buffer was freed"};
    napi_typedarray_type type;
    size_t length;
    void* data;
    bool is_typed;
    napi_is_typedarray(env, v[1], &is_typed);
    if (!is_typed) throw ThrowError{"invalid-argument", "native cuda: host side must be a Float32Array"};
    check(env, napi_get_typedarray_info(env, v[1], &type, &length, &data, nullptr, nullptr), "host array");
    if (type != napi_float32_array || length * sizeof(float) > buf->bytes) throw ThrowError{"invalid-argument", "native cuda: host array does not fit the device buffer"};
    const int rc = UP ? fkc_upload(buf->ptr, data, length * sizeof(float)) : fkc_download(data, buf->ptr, length * sizeof(float));
    if (rc != FK_OK) throw ThrowError{code_name(rc), fkc_last_error()};
    return undefined(env);
  });
}

napi_value CudaBytesInUse(napi_env env, napi_callback_info) {
  napi_value n;
  napi_create_double(env, static_cast<double>(fkc_bytes_in_use()), &n);
  return n;
}
#endif

void set_fn(napi_env env, napi_value obj, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, obj, name, fn);
}

template <bool C>
napi_value kernel_set(napi_env env) {
  napi_value obj;
  napi_create_object(env, &obj);
  set_fn(env, obj, "gemm", Gemm<C>);
  set_fn(env, obj, "linear", Linear<C>);
  set_fn(env, obj, "binary", Binary<C>);
  set_fn(env, obj, "scale", Scale<C>);
  set_fn(env, obj, "unary", Unary<C>);
  set_fn(env, obj, "softmax", Softmax<C>);
  set_fn(env, obj, "reduce", Reduce<C>);
  set_fn(env, obj, "transpose", Transpose<C>);
  set_fn(env, obj, "conv2d", Conv2d<C>);
  set_fn(env, obj, "unaryGrad", UnaryGrad<C>);
  set_fn(env, obj, "logSoftmax", LogSoftmax<C>);
  set_fn(env, obj, "softmaxGrad", SoftmaxGrad<C>);
  set_fn(env, obj, "repeat", Repeat<C>);
  set_fn(env, obj, "conv2dGradInput", Conv2dGrad<C, true>);
  set_fn(env, obj, "conv2dGradWeight", Conv2dGrad<C, false>);
  set_fn(env, obj, "dropout", Dropout<C>);
  return obj;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value cpu = kernel_set<false>(env);
  set_fn(env, cpu, "gemmImpl", CpuGemmImpl);
  napi_set_named_property(env, exports, "cpu", cpu);
#ifdef FABRIC_WITH_CUDA
  napi_value cuda = kernel_set<true>(env);
  set_fn(env, cuda, "init", CudaInit);
  set_fn(env, cuda, "alloc", CudaAlloc);
  set_fn(env, cuda, "free", CudaFree);
  set_fn(env, cuda, "upload", CudaCopy<true>);
  set_fn(env, cuda, "download", CudaCopy<false>);
  set_fn(env, cuda, "bytesInUse", CudaBytesInUse);
  napi_set_named_property(env, exports, "cuda", cuda);
#endif
  return exports;
}
