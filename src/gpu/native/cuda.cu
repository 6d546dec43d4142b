// CUDA backend of the GPU bridge: the fkc_ half of the kernel contract in kernels.h.
//
// Every tensor is a dense row-major f32 buffer in device memory (allocated by fkc_malloc). All
// kernels run on one process-global non-blocking stream, serialized by a mutex, and every call
// synchronizes that stream before it returns, so a kernel error is reported by the call that
// launched it. gemm (and linear / conv2d through it) uses cuBLAS when it can be dlopen'ed at
// fkc_init, else the tiled shared-memory sgemm below; nothing links against libcublas.
//
// Accuracy: no fast-math intrinsics. Reductions (softmax sums, reduce) accumulate in double;
// gelu and the softmax exponentials are evaluated in double and rounded once to f32.
#include "kernels.h"

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>

namespace {

// ---- errors ---------------------------------------------------------------------------------

thread_local char g_error[512] = "";

__attribute__((format(printf, 2, 3))) int fail(int code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(g_error, sizeof g_error, fmt, ap);
  va_end(ap);
  return code;
}

// Reports a CUDA error and clears this thread's "last error" so that a later, unrelated
// cudaGetLastError() does not pick it up again.
int cuda_fail(const char* what, cudaError_t e) {
  (void)cudaGetLastError();
  return fail(FK_ERR_BACKEND, "%s: %s", what, cudaGetErrorString(e));
}

// The one macro: return FK_ERR_BACKEND from the enclosing function when a CUDA call fails.
#define FKC_CHECK(call, what)                             \
  do {                                                    \
    const cudaError_t fkc_e_ = (call);                    \
    if (fkc_e_ != cudaSuccess) return cuda_fail(what, fkc_e_); \
  } while (0)

// ---- cuBLAS, dlopen'ed: just the declarations we need (values as in cublas_api.h) ----------

namespace blas {
struct Context;                     // opaque cublasContext
using Handle = Context*;            // cublasHandle_t
using Status = int;                 // cublasStatus_t
constexpr int kStatusSuccess = 0;   // CUBLAS_STATUS_SUCCESS
constexpr int kOpN = 0;             // CUBLAS_OP_N
constexpr int kOpT = 1;             // CUBLAS_OP_T
constexpr int kDefaultMath = 0;     // CUBLAS_DEFAULT_MATH (plain f32 sgemm, no TF32)
[[maybe_unused]] constexpr int kPedanticMath = 2;  // CUBLAS_PEDANTIC_MATH

using CreateFn = Status (*)(Handle*);
using DestroyFn = Status (*)(Handle);
using SetStreamFn = Status (*)(Handle, cudaStream_t);
using SetMathModeFn = Status (*)(Handle, int);
using SgemmFn = Status (*)(Handle, int transa, int transb, int m, int n, int k, const float* alpha,
                           const float* a, int lda, const float* b, int ldb, const float* beta,
                           float* c, int ldc);
using SgemmStridedBatchedFn = Status (*)(Handle, int transa, int transb, int m, int n, int k,
                                         const float* alpha, const float* a, int lda,
                                         long long stride_a, const float* b, int ldb,
                                         long long stride_b, const float* beta, float* c, int ldc,
                                         long long stride_c, int batch_count);
}  // namespace blas

struct Cublas {
  void* lib = nullptr;
  blas::Handle handle = nullptr;
  blas::SgemmFn sgemm = nullptr;
  blas::SgemmStridedBatchedFn sgemm_strided_batched = nullptr;
  bool ok() const { return handle != nullptr; }
};

// ---- process-global state -------------------------------------------------------------------

struct State {
  std::once_flag once;
  int count = 0;             // fkc_init's answer: > 0 devices, 0 none, < 0 error
  std::string init_error;    // why count <= 0
  char name[256] = "";
  cudaStream_t stream = nullptr;
  Cublas cublas;
  std::mutex mu;             // serializes everything that uses `stream` or the cuBLAS handle
};
State g;

struct Memory {
  std::mutex mu;
  std::unordered_map<void*, size_t> sizes;  // live fkc_malloc allocations -> requested bytes
  size_t in_use = 0;
};
Memory g_mem;

template <class Fn>
bool resolve(void* lib, const char* symbol, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(lib, symbol));
  return *out != nullptr;
}

// Tries FABRIC_CUBLAS (a path or soname; "off", "none" or "0" disables cuBLAS), then the usual
// sonames. The library stays loaded and the handle lives for the whole process.
void load_cublas(cudaStream_t stream) {
  const char* env = std::getenv("FABRIC_CUBLAS");
  if (env && (!std::strcmp(env, "off") || !std::strcmp(env, "none") || !std::strcmp(env, "0")))
    return;
  const char* candidates[] = {env, "libcublas.so.13", "libcublas.so.12", "libcublas.so"};
  for (const char* soname : candidates) {
    if (!soname || !*soname) continue;
    void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) continue;
    blas::CreateFn create;
    blas::DestroyFn destroy;
    blas::SetStreamFn set_stream;
    blas::SetMathModeFn set_math_mode;
    blas::SgemmFn sgemm;
    blas::SgemmStridedBatchedFn sgemm_sb;
    if (!resolve(lib, "cublasCreate_v2", &create) || !resolve(lib, "cublasDestroy_v2", &destroy) ||
        !resolve(lib, "cublasSetStream_v2", &set_stream) ||
        !resolve(lib, "cublasSetMathMode", &set_math_mode) ||
        !resolve(lib, "cublasSgemm_v2", &sgemm) ||
        !resolve(lib, "cublasSgemmStridedBatched", &sgemm_sb)) {
      dlclose(lib);
      continue;
    }
    blas::Handle handle = nullptr;
    if (create(&handle) != blas::kStatusSuccess || !handle) continue;  // keep lib loaded
    if (set_stream(handle, stream) != blas::kStatusSuccess ||
        set_math_mode(handle, blas::kDefaultMath) != blas::kStatusSuccess) {
      destroy(handle);
      continue;
    }
    g.cublas = Cublas{lib, handle, sgemm, sgemm_sb};
    return;
  }
}

void do_init() {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n <= 0) {
    (void)cudaGetLastError();
    g.count = 0;
    g.init_error = e != cudaSuccess ? std::string("no CUDA device (") + cudaGetErrorString(e) + ")"
                                    : std::string("no CUDA device");
    return;
  }
  auto init_fail = [](const char* what, cudaError_t err) {
    (void)cudaGetLastError();
    g.count = -1;
    g.init_error = std::string(what) + ": " + cudaGetErrorString(err);
  };
  if ((e = cudaSetDevice(0)) != cudaSuccess) return init_fail("cudaSetDevice(0)", e);
  cudaDeviceProp prop{};
  if ((e = cudaGetDeviceProperties(&prop, 0)) != cudaSuccess)
    return init_fail("cudaGetDeviceProperties", e);
  std::snprintf(g.name, sizeof g.name, "%s", prop.name);
  if ((e = cudaStreamCreateWithFlags(&g.stream, cudaStreamNonBlocking)) != cudaSuccess)
    return init_fail("cudaStreamCreateWithFlags", e);
  load_cublas(g.stream);
  g.count = n;
}

// Every entry point but fkc_init starts here: lazily initializes, fails without a device.
int ready(const char* what) {
  std::call_once(g.once, do_init);
  if (g.count > 0) return FK_OK;
  return fail(FK_ERR_BACKEND, "%s: %s", what, g.init_error.c_str());
}

// Ends a kernel call (stream mutex held): launch errors, then execution errors.
int finish(const char* what) {
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) e = cudaStreamSynchronize(g.stream);
  if (e != cudaSuccess) return cuda_fail(what, e);
  return FK_OK;
}

// A temporary device buffer, freed on scope exit.
struct DeviceBuffer {
  float* ptr = nullptr;
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr) cudaFree(ptr);
  }
};

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements.
unsigned grid_for(int64_t n, int threads = kThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(blocks, int64_t(1) << 20)));
}

bool fits_int(int64_t v) { return v >= 0 && v <= std::numeric_limits<int>::max(); }

// ---- kernels --------------------------------------------------------------------------------

// binary: flat c[i] = a[i] op b[i % bn], i < n.
__global__ void binary_kernel(int op, const float* __restrict__ a, const float* __restrict__ b,
                              float* __restrict__ c, int64_t n, int64_t bn) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float x = a[i], y = b[bn == n ? i : i % bn];
    float r;
    switch (op) {
      case FK_ADD: r = x + y; break;
      case FK_SUB: r = x - y; break;
      case FK_MUL: r = x * y; break;
      default: r = x / y; break;  // FK_DIV (IEEE division: no fast-math)
    }
    c[i] = r;
  }
}

// scale: flat c[i] = a[i] * f.
__global__ void scale_kernel(const float* __restrict__ a, float* __restrict__ c, int64_t n,
                             float f) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    c[i] = a[i] * f;
}

// unary: flat c[i] = op(a[i]).
__global__ void unary_kernel(int op, const float* __restrict__ a, float* __restrict__ c,
                             int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float x = a[i];
    float r;
    if (op == FK_RELU) {
      r = x > 0.0f ? x : 0.0f;  // as the CPU backend (NaN -> 0)
    } else if (op == FK_GELU) {
      // 0.5x(1 + tanh z), z = sqrt(2/pi)(x + 0.044715x^3), in the stable form x / (1 + exp(-2z))
      // (1 + tanh z cancels for negative x), evaluated in double and rounded once.
      const double xd = x;
      const double z = 0.7978845608028654 * (xd + 0.044715 * xd * xd * xd);
      r = static_cast<float>(xd / (1.0 + exp(-2.0 * z)));
    } else if (op == FK_EXP) {
      r = expf(x);  // full-precision expf (max 2 ulp), not __expf
    } else if (op == FK_LOG) {
      r = logf(x);
    } else if (op == FK_SQRT) {
      r = sqrtf(x);
    } else {
      r = static_cast<float>(tanh(double(x)));  // FK_TANH
    }
    c[i] = r;
  }
}

// unary_grad: c[i] = g[i] * op'(x[i]) for relu and gelu (the derivative of the stable form, in
// double: s + x s (1 - s) 2k (1 + 3*0.044715 x^2), s = 1 / (1 + exp(-2z))).
__global__ void unary_grad_kernel(int op, const float* __restrict__ x, const float* __restrict__ g,
                                  float* __restrict__ c, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    if (op == FK_RELU) {
      c[i] = x[i] > 0.0f ? g[i] : 0.0f;
    } else {
      const double xd = x[i], k = 0.7978845608028654;
      const double s = 1.0 / (1.0 + exp(-2.0 * k * (xd + 0.044715 * xd * xd * xd)));
      c[i] = g[i] * static_cast<float>(s + xd * s * (1.0 - s) * 2.0 * k * (1.0 + 0.134145 * xd * xd));
    }
  }
}

// repeat: c[o, d, i] = a[o, i] over [outer, dim, inner].
__global__ void repeat_kernel(const float* __restrict__ a, float* __restrict__ c, int64_t outer,
                              int64_t dim, int64_t inner) {
  const int64_t total = outer * dim * inner;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % inner, o = e / (dim * inner);
    c[e] = a[o * inner + i];
  }
}

// The dropout mask's uniform number for element i (kernels.h), as the CPU backend computes it.
__device__ float mask_uniform(uint32_t seed, int64_t i) {
  uint32_t h = seed ^ (static_cast<uint32_t>(i) * 0x9E3779B9u);
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return static_cast<float>(h >> 8) * (1.0f / 16777216.0f);
}

__global__ void dropout_kernel(const float* __restrict__ a, float* __restrict__ c, int64_t n,
                               float p, float keep, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    c[i] = mask_uniform(seed, i) >= p ? a[i] * keep : 0.0f;
}

// softmax_grad / log_softmax, one thread per column (o, i) of [outer, dim, inner], sums in
// double. Mode 0: log_softmax forward of a; 1: softmax grad (y, g); 2: log_softmax grad (y, g).
__global__ void softmax_family_kernel(int mode, const float* __restrict__ y,
                                      const float* __restrict__ g, float* __restrict__ c,
                                      int64_t outer, int64_t dim, int64_t inner) {
  const int64_t cols = outer * inner;
  for (int64_t col = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; col < cols;
       col += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (col / inner) * dim * inner + col % inner;
    if (mode == 0) {
      float mx = -INFINITY;
      for (int64_t d = 0; d < dim; d++) mx = fmaxf(mx, y[base + d * inner]);
      double total = 0.0;
      for (int64_t d = 0; d < dim; d++) total += exp(double(y[base + d * inner]) - mx);
      const double lse = double(mx) + log(total);
      for (int64_t d = 0; d < dim; d++) c[base + d * inner] = static_cast<float>(y[base + d * inner] - lse);
    } else if (mode == 1) {
      double acc = 0.0;
      for (int64_t d = 0; d < dim; d++) acc += double(g[base + d * inner]) * y[base + d * inner];
      for (int64_t d = 0; d < dim; d++)
        c[base + d * inner] = static_cast<float>(y[base + d * inner] * (g[base + d * inner] - acc));
    } else {
      double acc = 0.0;
      for (int64_t d = 0; d < dim; d++) acc += g[base + d * inner];
      for (int64_t d = 0; d < dim; d++)
        c[base + d * inner] = static_cast<float>(g[base + d * inner] - exp(double(y[base + d * inner])) * acc);
    }
  }
}

// conv2d_grad_input, one thread per dx[img][ci][iy][ix]: the sum over kk, ri, si of
// g[img][kk][oy][ox] * w[kk][ci][ri][si] where oy*stride - pad + ri = iy (ox likewise), in double.
__global__ void conv2d_grad_input_kernel(const float* __restrict__ g, const float* __restrict__ w,
                                         float* __restrict__ dx, int64_t n, int64_t c, int64_t h,
                                         int64_t wd, int64_t k, int64_t r, int64_t s,
                                         int64_t stride, int64_t pad, int64_t oh, int64_t ow) {
  const int64_t total = n * c * h * wd;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ix = e % wd, iy = (e / wd) % h, ci = (e / (wd * h)) % c, img = e / (wd * h * c);
    double acc = 0.0;
    for (int64_t ri = 0; ri < r; ++ri) {
      const int64_t ty = iy + pad - ri;
      if (ty < 0 || ty % stride != 0 || ty / stride >= oh) continue;
      const int64_t oy = ty / stride;
      for (int64_t si = 0; si < s; ++si) {
        const int64_t tx = ix + pad - si;
        if (tx < 0 || tx % stride != 0 || tx / stride >= ow) continue;
        const int64_t ox = tx / stride;
        for (int64_t kk = 0; kk < k; ++kk)
          acc += double(g[((img * k + kk) * oh + oy) * ow + ox]) * w[((kk * c + ci) * r + ri) * s + si];
      }
    }
    dx[e] = static_cast<float>(acc);
  }
}

// conv2d_grad_weight, one thread per dw[kk][ci][ri][si]: the sum over images and output pixels of
// g[img][kk][oy][ox] * x[img][ci][oy*stride - pad + ri][ox*stride - pad + si], in double.
__global__ void conv2d_grad_weight_kernel(const float* __restrict__ x, const float* __restrict__ g,
                                          float* __restrict__ dw, int64_t n, int64_t c, int64_t h,
                                          int64_t wd, int64_t k, int64_t r, int64_t s,
                                          int64_t stride, int64_t pad, int64_t oh, int64_t ow) {
  const int64_t total = k * c * r * s;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t si = e % s, ri = (e / s) % r, ci = (e / (s * r)) % c, kk = e / (s * r * c);
    double acc = 0.0;
    for (int64_t img = 0; img < n; ++img)
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t iy = oy * stride - pad + ri;
        if (iy < 0 || iy >= h) continue;
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t ix = ox * stride - pad + si;
          if (ix < 0 || ix >= wd) continue;
          acc += double(g[((img * k + kk) * oh + oy) * ow + ox]) * x[((img * c + ci) * h + iy) * wd + ix];
        }
      }
    dw[e] = static_cast<float>(acc);
  }
}

// fill_rows: flat y[i] = v[(i / inner) % period]; writes the bias into every output row
// (linear: inner 1, period out; conv2d: inner oh*ow, period k).
__global__ void fill_rows_kernel(const float* __restrict__ v, float* __restrict__ y, int64_t n,
                                 int64_t period, int64_t inner) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = v[(i / inner) % period];
}

struct MaxOp {
  __device__ double operator()(double x, double y) const { return fmax(x, y); }
};
struct SumOp {
  __device__ double operator()(double x, double y) const { return x + y; }
};

// Reduces v over threadIdx.y (tree in shared memory) and gives every thread of the column
// threadIdx.x the result. All threads of the block must call it.
template <int TX, int TY, class Op>
__device__ double reduce_over_y(double (&red)[TY][TX], double v, Op op) {
  const int tx = threadIdx.x, ty = threadIdx.y;
  red[ty][tx] = v;
  __syncthreads();
  for (int s = TY / 2; s > 0; s >>= 1) {
    if (ty < s) red[ty][tx] = op(red[ty][tx], red[ty + s][tx]);
    __syncthreads();
  }
  const double r = red[0][tx];
  __syncthreads();  // red is reused by the next call
  return r;
}

// softmax over the middle axis of [outer, dim, inner]. A block of TX×TY threads handles TX
// adjacent columns (outer o, inner col..col+TX-1); threadIdx.x picks the column, threadIdx.y
// strides along dim (element o*dim*inner + d*inner + col). TX = 1 for inner == 1 (the whole
// block walks one contiguous row), TX = 32 for wide inner (coalesced along inner).
// Three passes: max, sum of exp(x - max) in double, write exp(x - max) / sum.
template <int TX, int TY>
__global__ void __launch_bounds__(TX* TY)
    softmax_kernel(const float* __restrict__ a, float* __restrict__ c, int64_t outer, int64_t dim,
                   int64_t inner) {
  __shared__ double red[TY][TX];
  const int64_t tiles = (inner + TX - 1) / TX;
  for (int64_t blk = blockIdx.x; blk < outer * tiles; blk += gridDim.x) {
    const int64_t o = blk / tiles, col = (blk % tiles) * TX + threadIdx.x;
    const bool active = col < inner;
    const float* src = a + o * dim * inner + col;
    float* dst = c + o * dim * inner + col;
    float mx = -INFINITY;
    if (active)
      for (int64_t d = threadIdx.y; d < dim; d += TY) mx = fmaxf(mx, src[d * inner]);
    const double m = reduce_over_y<TX, TY>(red, mx, MaxOp{});
    double sum = 0.0;
    if (active)
      for (int64_t d = threadIdx.y; d < dim; d += TY) sum += exp(double(src[d * inner]) - m);
    const double total = reduce_over_y<TX, TY>(red, sum, SumOp{});
    if (active)
      for (int64_t d = threadIdx.y; d < dim; d += TY)
        dst[d * inner] = static_cast<float>(exp(double(src[d * inner]) - m) / total);
  }
}

// reduce: [outer, dim, inner] -> [outer, inner], sum (or mean) over dim, accumulated in double.
// Same block layout as softmax_kernel; output element o*inner + col.
template <int TX, int TY>
__global__ void __launch_bounds__(TX* TY)
    reduce_kernel(const float* __restrict__ a, float* __restrict__ c, int64_t outer, int64_t dim,
                  int64_t inner, bool mean) {
  __shared__ double red[TY][TX];
  const int64_t tiles = (inner + TX - 1) / TX;
  for (int64_t blk = blockIdx.x; blk < outer * tiles; blk += gridDim.x) {
    const int64_t o = blk / tiles, col = (blk % tiles) * TX + threadIdx.x;
    const bool active = col < inner;
    const float* src = a + o * dim * inner + col;
    double sum = 0.0;
    if (active)
      for (int64_t d = threadIdx.y; d < dim; d += TY) sum += src[d * inner];
    const double total = reduce_over_y<TX, TY>(red, sum, SumOp{});
    if (active && threadIdx.y == 0)
      c[o * inner + col] = static_cast<float>(mean ? total / double(dim) : total);
  }
}

// transpose: [batch, rows, cols] -> [batch, cols, rows], 32×32 tiles through shared memory
// (padded to 33 columns against bank conflicts), block 32×8. Tiles are numbered
// b * (tiles_r*tiles_c) + tr * tiles_c + tc and walked grid-stride, so no grid limit applies.
constexpr int kTile = 32, kTileRows = 8;
__global__ void __launch_bounds__(kTile* kTileRows)
    transpose_kernel(const float* __restrict__ a, float* __restrict__ c, int64_t batch,
                     int64_t rows, int64_t cols) {
  __shared__ float tile[kTile][kTile + 1];
  const int64_t tiles_r = (rows + kTile - 1) / kTile, tiles_c = (cols + kTile - 1) / kTile;
  const int64_t per_batch = tiles_r * tiles_c;
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int64_t t = blockIdx.x; t < batch * per_batch; t += gridDim.x) {
    const int64_t b = t / per_batch, rem = t % per_batch;
    const int64_t r0 = (rem / tiles_c) * kTile, c0 = (rem % tiles_c) * kTile;
    const float* src = a + b * rows * cols;
    float* dst = c + b * rows * cols;
    // tile[j][i] = src[r0 + j][c0 + i]   (coalesced read along cols)
    for (int j = ty; j < kTile; j += kTileRows) {
      const int64_t r = r0 + j, cc = c0 + tx;
      if (r < rows && cc < cols) tile[j][tx] = src[r * cols + cc];
    }
    __syncthreads();
    // dst[c0 + j][r0 + i] = src[r0 + i][c0 + j] = tile[i][j]   (coalesced write along rows)
    for (int j = ty; j < kTile; j += kTileRows) {
      const int64_t cc = c0 + j, r = r0 + tx;
      if (cc < cols && r < rows) dst[cc * rows + r] = tile[tx][j];
    }
    __syncthreads();
  }
}

// Tiled sgemm, row-major, for each problem z < batch:
//   C_z[m,n] = op(A_z)[m,k] · op(B_z)[k,n] (+ beta * C_z), A_z = A + z*sa, B_z = B + z*sb,
//   C_z = C + z*m*n; op(A)[i][p] = ta ? A[p*m + i] : A[i*k + p],
//                    op(B)[p][j] = tb ? B[j*k + p] : B[p*n + j].
// Block = 256 threads computes a 64×64 tile of C (blockIdx.x: column tile; blockIdx.y / .z:
// row tile / problem, walked grid-stride), each thread a 4×4 subgrid at rows ty + 16*r and
// columns tx + 16*q. K advances 16 at a time through shared memory; out-of-range elements load
// as 0, so any m, n, k works. Loads are coalesced for either storage order of each operand.
constexpr int kBM = 64, kBN = 64, kBK = 16, kGemmThreads = 256;
__global__ void __launch_bounds__(kGemmThreads)
    sgemm_tiled_kernel(const float* __restrict__ A, const float* __restrict__ B, float* C,
                       int64_t batch, int64_t m, int64_t n, int64_t k, bool ta, bool tb,
                       int64_t sa, int64_t sb, float beta) {
  __shared__ float As[kBK][kBM + 1];  // As[p][i] = op(A)[i0 + i][p0 + p]
  __shared__ float Bs[kBK][kBN + 1];  // Bs[p][j] = op(B)[p0 + p][j0 + j]
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int64_t tiles_m = (m + kBM - 1) / kBM;
  const int64_t j0 = int64_t(blockIdx.x) * kBN;
  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z) {
    const float* a = A + z * sa;
    const float* b = B + z * sb;
    float* c = C + z * m * n;
    for (int64_t tm = blockIdx.y; tm < tiles_m; tm += gridDim.y) {
      const int64_t i0 = tm * kBM;
      float acc[4][4] = {};
      for (int64_t p0 = 0; p0 < k; p0 += kBK) {
        for (int l = 0; l < (kBM * kBK) / kGemmThreads; ++l) {  // 4 elements of each tile
          const int e = tid + l * kGemmThreads;                  // 0..1023
          // A tile: 64 rows × 16 k; consecutive e run along the contiguous index.
          int ii, pp;
          if (ta) { pp = e / kBM; ii = e % kBM; } else { ii = e / kBK; pp = e % kBK; }
          int64_t gi = i0 + ii, gp = p0 + pp;
          As[pp][ii] = (gi < m && gp < k) ? (ta ? a[gp * m + gi] : a[gi * k + gp]) : 0.0f;
          // B tile: 16 k × 64 columns.
          int jj;
          if (tb) { jj = e / kBK; pp = e % kBK; } else { pp = e / kBN; jj = e % kBN; }
          const int64_t gj = j0 + jj;
          gp = p0 + pp;
          Bs[pp][jj] = (gj < n && gp < k) ? (tb ? b[gj * k + gp] : b[gp * n + gj]) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int p = 0; p < kBK; ++p) {
          float av[4], bv[4];
#pragma unroll
          for (int r = 0; r < 4; ++r) {
            av[r] = As[p][ty + 16 * r];
            bv[r] = Bs[p][tx + 16 * r];
          }
#pragma unroll
          for (int r = 0; r < 4; ++r)
#pragma unroll
            for (int q = 0; q < 4; ++q) acc[r][q] = fmaf(av[r], bv[q], acc[r][q]);
        }
        __syncthreads();
      }
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const int64_t gi = i0 + ty + 16 * r;
        if (gi >= m) continue;
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          const int64_t gj = j0 + tx + 16 * q;
          if (gj >= n) continue;
          float* out = c + gi * n + gj;
          *out = beta == 0.0f ? acc[r][q] : acc[r][q] + beta * *out;
        }
      }
    }
  }
}

// im2col for `imgs` images of x[n,c,h,w] (starting at x): col[img][q][p] with
//   q = (ci*r + ri)*s + si (the column index of W viewed as [k, c*r*s]),
//   p = oy*ow + ox, value x[img][ci][oy*stride - pad + ri][ox*stride - pad + si] or 0 outside.
__global__ void im2col_kernel(const float* __restrict__ x, float* __restrict__ col, int64_t imgs,
                              int64_t c, int64_t h, int64_t wd, int64_t r, int64_t s,
                              int64_t stride, int64_t pad, int64_t oh, int64_t ow) {
  const int64_t P = oh * ow, crs = c * r * s, total = imgs * crs * P;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = e % P, q = (e / P) % crs, img = e / (P * crs);
    const int64_t ox = p % ow, oy = p / ow;
    const int64_t si = q % s, ri = (q / s) % r, ci = q / (r * s);
    const int64_t iy = oy * stride - pad + ri, ix = ox * stride - pad + si;
    col[e] = (iy >= 0 && iy < h && ix >= 0 && ix < wd) ? x[((img * c + ci) * h + iy) * wd + ix]
                                                       : 0.0f;
  }
}

// Direct conv2d (fallback when the im2col buffer cannot be allocated): one thread per output
// y[img][kk][oy][ox] = bias[kk] + sum_{ci,ri,si} x[img][ci][iy][ix] * w[kk][ci][ri][si].
__global__ void conv2d_direct_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                     const float* __restrict__ bias, float* __restrict__ y,
                                     int64_t n, int64_t c, int64_t h, int64_t wd, int64_t k,
                                     int64_t r, int64_t s, int64_t stride, int64_t pad,
                                     int64_t oh, int64_t ow) {
  const int64_t total = n * k * oh * ow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ox = i % ow, oy = (i / ow) % oh, kk = (i / (ow * oh)) % k,
                  img = i / (ow * oh * k);
    float acc = bias ? bias[kk] : 0.0f;
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t ri = 0; ri < r; ++ri) {
        const int64_t iy = oy * stride - pad + ri;
        if (iy < 0 || iy >= h) continue;
        for (int64_t si = 0; si < s; ++si) {
          const int64_t ix = ox * stride - pad + si;
          if (ix < 0 || ix >= wd) continue;
          acc = fmaf(x[((img * c + ci) * h + iy) * wd + ix], w[((kk * c + ci) * r + ri) * s + si],
                     acc);
        }
      }
    y[i] = acc;
  }
}

// ---- gemm dispatch (stream mutex held; the caller calls finish()) ---------------------------

int gemm_locked(const char* what, const float* a, const float* b, float* c, int64_t batch,
                int64_t m, int64_t n, int64_t k, bool ta, bool tb, int64_t sa, int64_t sb,
                float beta) {
  if (batch <= 0 || m <= 0 || n <= 0) return FK_OK;
  if (k <= 0) {  // empty sum: C = beta*C, beta is 0 or 1
    if (beta == 0.0f)
      FKC_CHECK(cudaMemsetAsync(c, 0, size_t(batch * m * n) * sizeof(float), g.stream), what);
    return FK_OK;
  }
  const bool int_sized = fits_int(m) && fits_int(n) && fits_int(k) && fits_int(batch);
  if (g.cublas.ok() && int_sized) {
    // cuBLAS is column-major, and a row-major p×q buffer read column-major is its q×p
    // transpose. So row-major C[m,n] = op(A)·op(B) is column-major Cᵀ[n,m] = op(B)ᵀ·op(A)ᵀ:
    // call sgemm with (M, N, K) = (n, m, k), its first operand our B, its second our A, and
    // ldc = n. Each operand's cuBLAS op is simply our own flag; its leading dimension is the
    // row length of the buffer as stored (B: [k,n] or [n,k]; A: [m,k] or [k,m]):
    //   trans_a trans_b | op1 (our B)  lda | op2 (our A)  ldb | ldc
    //      0       0    |     N         n  |     N         k  |  n
    //      0       1    |     T         k  |     N         k  |  n
    //      1       0    |     N         n  |     T         m  |  n
    //      1       1    |     T         k  |     T         m  |  n
    // (cuBLAS requires lda >= M = n for N, >= K = k for T; ldb >= K = k for N, >= N = m for
    // T; ldc >= M = n: all hold with equality.)
    const int M = int(n), N = int(m), K = int(k);
    const int op1 = tb ? blas::kOpT : blas::kOpN, lda = tb ? K : M;
    const int op2 = ta ? blas::kOpT : blas::kOpN, ldb = ta ? N : K;
    const float alpha = 1.0f;
    blas::Status st;
    if (batch == 1) {
      st = g.cublas.sgemm(g.cublas.handle, op1, op2, M, N, K, &alpha, b, lda, a, ldb, &beta, c, M);
    } else {
      st = g.cublas.sgemm_strided_batched(g.cublas.handle, op1, op2, M, N, K, &alpha, b, lda, sb,
                                          a, ldb, sa, &beta, c, M, m * n, int(batch));
    }
    if (st != blas::kStatusSuccess) {
      (void)cudaGetLastError();
      return fail(FK_ERR_BACKEND, "%s: cuBLAS sgemm failed (status %d)", what, st);
    }
    return FK_OK;
  }
  const int64_t tiles_n = (n + kBN - 1) / kBN, tiles_m = (m + kBM - 1) / kBM;
  if (tiles_n > std::numeric_limits<int>::max())
    return fail(FK_ERR_ARG, "%s: n = %lld is too large", what, (long long)n);
  const dim3 grid(unsigned(tiles_n), unsigned(std::min<int64_t>(tiles_m, 65535)),
                  unsigned(std::min<int64_t>(batch, 65535)));
  sgemm_tiled_kernel<<<grid, kGemmThreads, 0, g.stream>>>(a, b, c, batch, m, n, k, ta, tb, sa, sb,
                                                          beta);
  return FK_OK;
}

void fill_rows_locked(const float* v, float* y, int64_t total, int64_t period, int64_t inner) {
  fill_rows_kernel<<<grid_for(total), kThreads, 0, g.stream>>>(v, y, total, period, inner);
}

}  // namespace

// ---- the C contract -------------------------------------------------------------------------

extern "C" {

int fkc_init(char* name, size_t name_len) {
  std::call_once(g.once, do_init);
  if (name && name_len > 0) std::snprintf(name, name_len, "%s", g.count > 0 ? g.name : "");
  if (g.count < 0) {
    fail(FK_ERR_BACKEND, "fkc_init: %s", g.init_error.c_str());
    return g.count;
  }
  if (g.count > 0) {
    // The current device is per host thread: bind this one too (device 0 is also the default).
    const cudaError_t e = cudaSetDevice(0);
    if (e != cudaSuccess) {
      cuda_fail("fkc_init: cudaSetDevice(0)", e);
      return -1;
    }
  }
  return g.count;
}

const char* fkc_last_error(void) { return g_error; }

const char* fkc_gemm_impl(void) {
  std::call_once(g.once, do_init);
  return g.cublas.ok() ? "cublas" : "tiled";
}

int fkc_malloc(void** ptr, size_t bytes) {
  if (!ptr) return fail(FK_ERR_ARG, "fkc_malloc: NULL out pointer");
  *ptr = nullptr;
  if (int rc = ready("fkc_malloc")) return rc;
  void* p = nullptr;
  // A zero-byte request gets a real 1-byte allocation, so the pointer is non-NULL and freeable.
  const cudaError_t e = cudaMalloc(&p, bytes == 0 ? 1 : bytes);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    return fail(FK_ERR_OOM, "cudaMalloc(%zu bytes): out of memory", bytes);
  }
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return fail(FK_ERR_BACKEND, "cudaMalloc(%zu bytes): %s", bytes, cudaGetErrorString(e));
  }
  {
    std::lock_guard<std::mutex> lock(g_mem.mu);
    g_mem.sizes[p] = bytes;
    g_mem.in_use += bytes;
  }
  *ptr = p;
  return FK_OK;
}

int fkc_free(void* ptr) {
  if (!ptr) return FK_OK;
  {
    std::lock_guard<std::mutex> lock(g_mem.mu);
    auto it = g_mem.sizes.find(ptr);
    if (it == g_mem.sizes.end())
      return fail(FK_ERR_ARG, "fkc_free: %p was not allocated by fkc_malloc (or already freed)",
                  ptr);
    g_mem.in_use -= it->second;
    g_mem.sizes.erase(it);
  }
  FKC_CHECK(cudaFree(ptr), "cudaFree");
  return FK_OK;
}

// Transfers use cudaMemcpy (synchronous, legacy stream). No ordering with the kernel stream is
// needed: every kernel call has finished when it returns.
static int copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* what) {
  if (bytes == 0) return FK_OK;
  if (!dst || !src) return fail(FK_ERR_ARG, "fkc_%s: NULL pointer", what);
  if (int rc = ready(what)) return rc;
  const cudaError_t e = cudaMemcpy(dst, src, bytes, kind);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return fail(FK_ERR_BACKEND, "cudaMemcpy %s (%zu bytes): %s", what, bytes, cudaGetErrorString(e));
  }
  return FK_OK;
}

int fkc_upload(void* dst, const void* src, size_t bytes) {
  return copy(dst, src, bytes, cudaMemcpyHostToDevice, "upload");
}

int fkc_download(void* dst, const void* src, size_t bytes) {
  return copy(dst, src, bytes, cudaMemcpyDeviceToHost, "download");
}

size_t fkc_bytes_in_use(void) {
  std::lock_guard<std::mutex> lock(g_mem.mu);
  return g_mem.in_use;
}

int fkc_gemm(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n,
             int64_t k, int trans_a, int trans_b, int64_t stride_a, int64_t stride_b) {
  if (batch < 0 || m < 0 || n < 0 || k < 0 || stride_a < 0 || stride_b < 0)
    return fail(FK_ERR_ARG, "fkc_gemm: negative dimension or stride");
  if (batch == 0 || m == 0 || n == 0) return FK_OK;
  if (int rc = ready("fkc_gemm")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  if (int rc = gemm_locked("fkc_gemm", a, b, c, batch, m, n, k, trans_a != 0, trans_b != 0,
                           stride_a, stride_b, 0.0f))
    return rc;
  return finish("fkc_gemm");
}

// linear: Y[rows,out] = X[rows,in] · W[out,in]ᵀ + bias, i.e. gemm m = rows, n = out, k = in with
// B = W stored [n,k] (trans_b); the bias is first broadcast into Y, then accumulated (beta 1).
int fkc_linear(const float* x, const float* w, const float* bias, float* y, int64_t rows,
               int64_t in, int64_t out) {
  if (rows < 0 || in < 0 || out < 0) return fail(FK_ERR_ARG, "fkc_linear: negative dimension");
  if (rows == 0 || out == 0) return FK_OK;
  if (int rc = ready("fkc_linear")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  if (bias) fill_rows_locked(bias, y, rows * out, out, 1);
  if (int rc = gemm_locked("fkc_linear", x, w, y, 1, rows, out, in, false, true, 0, 0,
                           bias ? 1.0f : 0.0f))
    return rc;
  return finish("fkc_linear");
}

int fkc_binary(int op, const float* a, const float* b, float* c, int64_t n, int64_t bn) {
  if (op < FK_ADD || op > FK_DIV) return fail(FK_ERR_ARG, "fkc_binary: unknown op %d", op);
  if (n < 0) return fail(FK_ERR_ARG, "fkc_binary: negative length");
  if (n == 0) return FK_OK;
  if (bn <= 0 || n % bn != 0)
    return fail(FK_ERR_ARG, "fkc_binary: the broadcast period %lld does not divide the length %lld",
                (long long)bn, (long long)n);
  if (int rc = ready("fkc_binary")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  binary_kernel<<<grid_for(n), kThreads, 0, g.stream>>>(op, a, b, c, n, bn);
  return finish("fkc_binary");
}

int fkc_scale(const float* a, float* c, int64_t n, float f) {
  if (n < 0) return fail(FK_ERR_ARG, "fkc_scale: negative length");
  if (n == 0) return FK_OK;
  if (int rc = ready("fkc_scale")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  scale_kernel<<<grid_for(n), kThreads, 0, g.stream>>>(a, c, n, f);
  return finish("fkc_scale");
}

int fkc_unary(int op, const float* a, float* c, int64_t n) {
  if (op < FK_RELU || op > FK_TANH) return fail(FK_ERR_ARG, "fkc_unary: unknown op %d", op);
  if (n < 0) return fail(FK_ERR_ARG, "fkc_unary: negative length");
  if (n == 0) return FK_OK;
  if (int rc = ready("fkc_unary")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  unary_kernel<<<grid_for(n), kThreads, 0, g.stream>>>(op, a, c, n);
  return finish("fkc_unary");
}

int fkc_softmax(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner) {
  if (outer < 0 || dim < 0 || inner < 0) return fail(FK_ERR_ARG, "fkc_softmax: negative dimension");
  if (outer == 0 || dim == 0 || inner == 0) return FK_OK;
  if (int rc = ready("fkc_softmax")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  if (inner < 32) {
    const int64_t blocks = outer * inner;
    softmax_kernel<1, 256><<<grid_for(blocks, 1), dim3(1, 256), 0, g.stream>>>(a, c, outer, dim,
                                                                              inner);
  } else {
    const int64_t blocks = outer * ((inner + 31) / 32);
    softmax_kernel<32, 8><<<grid_for(blocks, 1), dim3(32, 8), 0, g.stream>>>(a, c, outer, dim,
                                                                            inner);
  }
  return finish("fkc_softmax");
}

int fkc_reduce(int op, const float* a, float* c, int64_t outer, int64_t dim, int64_t inner) {
  if (op != FK_SUM && op != FK_MEAN) return fail(FK_ERR_ARG, "fkc_reduce: unknown op %d", op);
  if (outer < 0 || dim < 0 || inner < 0) return fail(FK_ERR_ARG, "fkc_reduce: negative dimension");
  if (outer == 0 || inner == 0) return FK_OK;  // dim == 0 still writes: sum 0, mean NaN
  if (int rc = ready("fkc_reduce")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  const bool mean = op == FK_MEAN;
  if (inner < 32) {
    const int64_t blocks = outer * inner;
    reduce_kernel<1, 256><<<grid_for(blocks, 1), dim3(1, 256), 0, g.stream>>>(a, c, outer, dim,
                                                                             inner, mean);
  } else {
    const int64_t blocks = outer * ((inner + 31) / 32);
    reduce_kernel<32, 8><<<grid_for(blocks, 1), dim3(32, 8), 0, g.stream>>>(a, c, outer, dim,
                                                                           inner, mean);
  }
  return finish("fkc_reduce");
}

int fkc_transpose(const float* a, float* c, int64_t batch, int64_t rows, int64_t cols) {
  if (batch < 0 || rows < 0 || cols < 0)
    return fail(FK_ERR_ARG, "fkc_transpose: negative dimension");
  if (batch == 0 || rows == 0 || cols == 0) return FK_OK;
  if (int rc = ready("fkc_transpose")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  const int64_t tiles = batch * ((rows + kTile - 1) / kTile) * ((cols + kTile - 1) / kTile);
  transpose_kernel<<<grid_for(tiles, 1), dim3(kTile, kTileRows), 0, g.stream>>>(a, c, batch, rows,
                                                                                cols);
  return finish("fkc_transpose");
}

// conv2d as im2col + gemm, a chunk of images at a time: for each image, with P = oh*ow and
// CRS = c*r*s, Y_img[k, P] = W[k, CRS] · col_img[CRS, P]; a chunk is one strided-batched gemm
// (W shared: stride 0; col stride CRS*P; output stride k*P, which is Y's own layout).
int fkc_conv2d(const float* x, const float* w, const float* bias, float* y, int64_t n, int64_t c,
               int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride,
               int64_t pad, int64_t oh, int64_t ow) {
  if (n < 0 || c < 0 || h < 0 || wd < 0 || k < 0 || r < 0 || s < 0 || pad < 0 || oh < 0 ||
      ow < 0)
    return fail(FK_ERR_ARG, "fkc_conv2d: negative dimension");
  if (stride <= 0) return fail(FK_ERR_ARG, "fkc_conv2d: stride = %lld", (long long)stride);
  if (n == 0 || k == 0 || oh == 0 || ow == 0) return FK_OK;
  if (int rc = ready("fkc_conv2d")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();

  const int64_t P = oh * ow, crs = c * r * s, out_total = n * k * P;
  const float beta = bias ? 1.0f : 0.0f;
  if (bias) fill_rows_locked(bias, y, out_total, k, P);
  if (crs == 0) {  // nothing to sum: y = bias or 0
    if (!bias) FKC_CHECK(cudaMemsetAsync(y, 0, size_t(out_total) * sizeof(float), g.stream),
                         "fkc_conv2d");
    return finish("fkc_conv2d");
  }

  // Bound the im2col buffer to about 256 MiB (but at least one image).
  constexpr int64_t kBudgetFloats = (int64_t(256) << 20) / int64_t(sizeof(float));
  const int64_t per_image = crs * P;
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(n, kBudgetFloats / per_image));
  DeviceBuffer col;
  const cudaError_t e =
      cudaMalloc(reinterpret_cast<void**>(&col.ptr), size_t(chunk * per_image) * sizeof(float));
  if (e != cudaSuccess) {  // no room for im2col: direct convolution (writes bias itself)
    (void)cudaGetLastError();
    col.ptr = nullptr;
    conv2d_direct_kernel<<<grid_for(out_total), kThreads, 0, g.stream>>>(
        x, w, bias, y, n, c, h, wd, k, r, s, stride, pad, oh, ow);
    return finish("fkc_conv2d");
  }
  for (int64_t img0 = 0; img0 < n; img0 += chunk) {
    const int64_t cnt = std::min(chunk, n - img0);
    im2col_kernel<<<grid_for(cnt * per_image), kThreads, 0, g.stream>>>(
        x + img0 * c * h * wd, col.ptr, cnt, c, h, wd, r, s, stride, pad, oh, ow);
    if (int rc = gemm_locked("fkc_conv2d", w, col.ptr, y + img0 * k * P, cnt, k, P, crs, false,
                             false, 0, per_image, beta))
      return rc;
  }
  return finish("fkc_conv2d");
}

int fkc_unary_grad(int op, const float* x, const float* gr, float* c, int64_t n) {
  if (op != FK_RELU && op != FK_GELU)
    return fail(FK_ERR_ARG, "fkc_unary_grad: only relu and gelu have a gradient kernel (op %d)", op);
  if (n < 0) return fail(FK_ERR_ARG, "fkc_unary_grad: negative length");
  if (n == 0) return FK_OK;
  if (int rc = ready("fkc_unary_grad")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  unary_grad_kernel<<<grid_for(n), kThreads, 0, g.stream>>>(op, x, gr, c, n);
  return finish("fkc_unary_grad");
}

static int softmax_family(const char* what, int mode, const float* y, const float* gr, float* c,
                          int64_t outer, int64_t dim, int64_t inner) {
  if (outer < 0 || dim < 0 || inner < 0) return fail(FK_ERR_ARG, "%s: negative dimension", what);
  if (outer == 0 || dim == 0 || inner == 0) return FK_OK;
  if (int rc = ready(what)) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  softmax_family_kernel<<<grid_for(outer * inner), kThreads, 0, g.stream>>>(mode, y, gr, c, outer,
                                                                            dim, inner);
  return finish(what);
}

int fkc_log_softmax(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner) {
  return softmax_family("fkc_log_softmax", 0, a, nullptr, c, outer, dim, inner);
}

int fkc_softmax_grad(int log, const float* y, const float* gr, float* c, int64_t outer,
                     int64_t dim, int64_t inner) {
  return softmax_family("fkc_softmax_grad", log != 0 ? 2 : 1, y, gr, c, outer, dim, inner);
}

int fkc_repeat(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner) {
  if (outer < 0 || dim < 0 || inner < 0) return fail(FK_ERR_ARG, "fkc_repeat: negative dimension");
  const int64_t total = outer * dim * inner;
  if (total == 0) return FK_OK;
  if (int rc = ready("fkc_repeat")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  repeat_kernel<<<grid_for(total), kThreads, 0, g.stream>>>(a, c, outer, dim, inner);
  return finish("fkc_repeat");
}

static int conv_grad(const char* what, bool input, const float* p, const float* q, float* out,
                     int64_t n, int64_t c, int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s,
                     int64_t stride, int64_t pad, int64_t oh, int64_t ow) {
  if (n < 0 || c < 0 || h < 0 || wd < 0 || k < 0 || r < 0 || s < 0 || pad < 0 || oh < 0 || ow < 0)
    return fail(FK_ERR_ARG, "%s: negative dimension", what);
  if (stride <= 0) return fail(FK_ERR_ARG, "%s: stride = %lld", what, (long long)stride);
  const int64_t total = input ? n * c * h * wd : k * c * r * s;
  if (total == 0) return FK_OK;
  if (int rc = ready(what)) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  if (input)
    conv2d_grad_input_kernel<<<grid_for(total), kThreads, 0, g.stream>>>(p, q, out, n, c, h, wd, k,
                                                                        r, s, stride, pad, oh, ow);
  else
    conv2d_grad_weight_kernel<<<grid_for(total), kThreads, 0, g.stream>>>(p, q, out, n, c, h, wd,
                                                                         k, r, s, stride, pad, oh,
                                                                         ow);
  return finish(what);
}

int fkc_conv2d_grad_input(const float* gr, const float* w, float* dx, int64_t n, int64_t c,
                          int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride,
                          int64_t pad, int64_t oh, int64_t ow) {
  return conv_grad("fkc_conv2d_grad_input", true, gr, w, dx, n, c, h, wd, k, r, s, stride, pad, oh,
                   ow);
}

int fkc_conv2d_grad_weight(const float* x, const float* gr, float* dw, int64_t n, int64_t c,
                           int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride,
                           int64_t pad, int64_t oh, int64_t ow) {
  return conv_grad("fkc_conv2d_grad_weight", false, x, gr, dw, n, c, h, wd, k, r, s, stride, pad,
                   oh, ow);
}

int fkc_dropout(const float* a, float* c, int64_t n, float p, uint32_t seed) {
  if (!(p >= 0.0f && p < 1.0f)) return fail(FK_ERR_ARG, "fkc_dropout: p must be in [0, 1)");
  if (n < 0) return fail(FK_ERR_ARG, "fkc_dropout: negative length");
  if (n == 0) return FK_OK;
  if (int rc = ready("fkc_dropout")) return rc;
  std::lock_guard<std::mutex> lock(g.mu);
  (void)cudaGetLastError();
  dropout_kernel<<<grid_for(n), kThreads, 0, g.stream>>>(a, c, n, p, 1.0f / (1.0f - p), seed);
  return finish("fkc_dropout");
}

}  // extern "C"
