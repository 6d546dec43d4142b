// The kernel contract shared by the CPU (cpu.cc) and CUDA (cuda.cu) backends of the GPU bridge.
//
// Every tensor is dense, row-major f32. Pointers are host memory for the CPU backend and device
// memory for the CUDA backend. Outputs never alias inputs. Shapes were checked by the TypeScript
// layer (src/gpu/ops.ts) before a kernel is called: kernels trust their dimensions.
// Functions return 0 on success; on failure a non-zero FK_* code, with a message from
// fk_last_error() / fkc_last_error() (thread-local).
#ifndef FABRIC_GPU_KERNELS_H
#define FABRIC_GPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum fk_code { FK_OK = 0, FK_ERR_OOM = 1, FK_ERR_BACKEND = 2, FK_ERR_ARG = 3 };
enum fk_binary_op { FK_ADD = 0, FK_SUB = 1, FK_MUL = 2, FK_DIV = 3 };
enum fk_unary_op { FK_RELU = 0, FK_GELU = 1, FK_EXP = 2, FK_LOG = 3, FK_SQRT = 4, FK_TANH = 5 };
enum fk_reduce_op { FK_SUM = 0, FK_MEAN = 1 };

// ---- the kernel set, written once per backend (prefix fk_ for CPU, fkc_ for CUDA) ----------
//
// gemm: for each of `batch` problems, C[m,n] = op(A)[m,k] · op(B)[k,n] where op transposes when
//   the flag is set (A is stored [k,m] when trans_a, B is stored [n,k] when trans_b). Problem i
//   reads A + i*stride_a, B + i*stride_b (stride 0 = shared), writes C + i*m*n.
// linear: Y[rows,out] = X[rows,in] · W[out,in]ᵀ + bias[out] (bias may be NULL).
// binary: C[i] = A[i] op B[i % bn] for i < n (bn divides n; bn == n is elementwise).
// scale: C[i] = A[i] * f.
// unary: relu max(x,0); gelu 0.5x(1+tanh z), z = sqrt(2/pi)(x+0.044715x^3), computed in the
//   stable form x / (1 + exp(-2z)) (1 + tanh z cancels in f32 for negative x); exp; log; sqrt; tanh.
// unary_grad: C[i] = G[i] * op'(X[i]), for relu (1 where x > 0, else 0) and gelu (the derivative
//   of the form above: s + x s (1 - s) 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2), s = 1 / (1 + exp(-2z))).
// softmax: over the middle axis of [outer, dim, inner], max-subtracted.
// log_softmax: over the middle axis: x - max - log(sum exp(x - max)).
// softmax_grad: the gradient of a loss with respect to the input of softmax (log 0) or log_softmax
//   (log 1), from that function's output Y and the loss's gradient G with respect to Y, over the
//   middle axis: softmax C = Y (G - sum(G Y)); log_softmax C = G - exp(Y) sum(G).
// repeat: A[outer, inner] -> C[outer, dim, inner], C[o,d,i] = A[o,i] (a broadcast along one axis).
// reduce: [outer, dim, inner] -> [outer, inner], sum or mean over dim.
// transpose: [batch, rows, cols] -> [batch, cols, rows].
// conv2d: X[n,c,h,w] * W[k,c,r,s] (+ bias[k] or NULL) -> Y[n,k,oh,ow], stride, zero padding `pad`;
//   oh = (h + 2pad - r)/stride + 1, ow likewise.
// conv2d_grad_input: from G[n,k,oh,ow] (the gradient with respect to conv2d's output) and
//   W[k,c,r,s]: DX[n,c,h,w], the gradient with respect to its input (same stride and padding).
// conv2d_grad_weight: from X[n,c,h,w] and G[n,k,oh,ow]: DW[k,c,r,s].
// dropout: C[i] = A[i] * (u >= p ? 1 / (1 - p) : 0) with u = (h >> 8) * 2^-24 and h the 32-bit
//   mix (x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16) of
//   seed ^ (i * 0x9E3779B9): the same mask on every backend for a seed; 0 <= p < 1.

#define FK_KERNELS(P) \
  int P##gemm(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b, int64_t stride_a, int64_t stride_b); \
  int P##linear(const float* x, const float* w, const float* bias, float* y, int64_t rows, int64_t in, int64_t out); \
  int P##binary(int op, const float* a, const float* b, float* c, int64_t n, int64_t bn); \
  int P##scale(const float* a, float* c, int64_t n, float f); \
  int P##unary(int op, const float* a, float* c, int64_t n); \
  int P##softmax(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner); \
  int P##reduce(int op, const float* a, float* c, int64_t outer, int64_t dim, int64_t inner); \
  int P##transpose(const float* a, float* c, int64_t batch, int64_t rows, int64_t cols); \
  int P##conv2d(const float* x, const float* w, const float* bias, float* y, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride, int64_t pad, int64_t oh, int64_t ow); \
  int P##unary_grad(int op, const float* x, const float* g, float* c, int64_t n); \
  int P##log_softmax(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner); \
  int P##softmax_grad(int log, const float* y, const float* g, float* c, int64_t outer, int64_t dim, int64_t inner); \
  int P##repeat(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner); \
  int P##conv2d_grad_input(const float* g, const float* w, float* dx, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride, int64_t pad, int64_t oh, int64_t ow); \
  int P##conv2d_grad_weight(const float* x, const float* g, float* dw, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride, int64_t pad, int64_t oh, int64_t ow); \
  int P##dropout(const float* a, float* c, int64_t n, float p, uint32_t seed);

FK_KERNELS(fk_)
const char* fk_last_error(void);
/** Which gemm the CPU backend uses: "openblas" or "blocked". */
const char* fk_gemm_impl(void);

// ---- CUDA only: device, memory, transfers -------------------------------------------------
//
// fkc_init: pick device 0, create the cuBLAS handle (cuBLAS is dlopen'ed: libcublas.so.13, .12,
//   or FABRIC_CUBLAS; without it gemm/linear/conv2d use the built-in tiled kernel). Returns the
//   device count (0 = none answers) and writes the device name; idempotent; per calling thread
//   it is safe to call again. Negative on error (message in fkc_last_error).
// All fkc_ kernels run on one stream and are synchronous on return (a kernel error is reported
// by the call that launched it).
#ifdef FABRIC_WITH_CUDA
FK_KERNELS(fkc_)
int fkc_init(char* name, size_t name_len);
const char* fkc_last_error(void);
/** "cublas" or "tiled": what fkc_gemm runs. */
const char* fkc_gemm_impl(void);
int fkc_malloc(void** ptr, size_t bytes);
int fkc_free(void* ptr);
int fkc_upload(void* dst, const void* src, size_t bytes);
int fkc_download(void* dst, const void* src, size_t bytes);
/** Device memory in use by this process through fkc_malloc (bytes). */
size_t fkc_bytes_in_use(void);
#endif

#ifdef __cplusplus
}
#endif
#endif
