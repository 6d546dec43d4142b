// The CPU kernels of the GPU bridge (see kernels.h for the contract). Matrix products go to
// OpenBLAS's cblas_sgemm when the addon was built against it (FABRIC_WITH_OPENBLAS), otherwise to
// a cache-blocked kernel written for the compiler's vectoriser. Everything else is plain loops
// that -O3 vectorises; sums accumulate in double so long reductions keep f32 accuracy.
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#ifdef FABRIC_WITH_OPENBLAS
#include <cblas.h>
#endif

namespace {

thread_local char last_error[512] = "";

int fail(int code, const char* message) {
  std::snprintf(last_error, sizeof last_error, "%s", message);
  return code;
}

#ifndef FABRIC_WITH_OPENBLAS
// C[m,n] (ldc = n) = op(A) · op(B), blocked so a panel of B stays in cache while rows of A stream.
// Each operand is first copied into a contiguous non-transposed block: the inner loop is then a
// unit-stride axpy over columns of C that the compiler turns into SIMD.
void blocked_gemm(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
  constexpr int64_t KB = 256, NB = 512, MB = 64;
  std::vector<float> bpack(KB * NB), apack(MB * KB);
  std::fill(c, c + m * n, 0.0f);
  for (int64_t k0 = 0; k0 < k; k0 += KB) {
    const int64_t kk = std::min(KB, k - k0);
    for (int64_t n0 = 0; n0 < n; n0 += NB) {
      const int64_t nn = std::min(NB, n - n0);
      for (int64_t p = 0; p < kk; p++) {
        for (int64_t j = 0; j < nn; j++) {
          bpack[p * nn + j] = tb ? b[(n0 + j) * k + (k0 + p)] : b[(k0 + p) * n + (n0 + j)];
        }
      }
      for (int64_t m0 = 0; m0 < m; m0 += MB) {
        const int64_t mm = std::min(MB, m - m0);
        for (int64_t i = 0; i < mm; i++) {
          for (int64_t p = 0; p < kk; p++) {
            apack[i * kk + p] = ta ? a[(k0 + p) * m + (m0 + i)] : a[(m0 + i) * k + (k0 + p)];
          }
        }
        for (int64_t i = 0; i < mm; i++) {
          float* __restrict crow = c + (m0 + i) * n + n0;
          const float* arow = apack.data() + i * kk;
          for (int64_t p = 0; p < kk; p++) {
            const float av = arow[p];
            const float* __restrict brow = bpack.data() + p * nn;
            for (int64_t j = 0; j < nn; j++) crow[j] += av * brow[j];
          }
        }
      }
    }
  }
}
#endif

void one_gemm(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool ta, bool tb, float beta) {
#ifdef FABRIC_WITH_OPENBLAS
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              (blasint)m, (blasint)n, (blasint)k, 1.0f, a, (blasint)(ta ? m : k), b, (blasint)(tb ? k : n),
              beta, c, (blasint)n);
#else
  if (beta == 0.0f) {
    blocked_gemm(a, b, c, m, n, k, ta, tb);
  } else {
    std::vector<float> tmp(m * n);
    blocked_gemm(a, b, tmp.data(), m, n, k, ta, tb);
    for (int64_t i = 0; i < m * n; i++) c[i] = beta * c[i] + tmp[i];
  }
#endif
}

// GELU, tanh approximation, in its stable form: 0.5x(1 + tanh z) = x / (1 + exp(-2z)), which
// does not cancel for negative x the way 1 + tanh z does in f32.
inline float gelu(float x) {
  const float k = 0.7978845608028654f;  // sqrt(2/pi)
  return x / (1.0f + std::exp(-2.0f * k * (x + 0.044715f * x * x * x)));
}

template <typename F>
void map(const float* __restrict a, float* __restrict c, int64_t n, F f) {
  for (int64_t i = 0; i < n; i++) c[i] = f(a[i]);
}

template <typename F>
void zip(const float* __restrict a, const float* __restrict b, float* __restrict c, int64_t n, int64_t bn, F f) {
  if (bn == n) {
    for (int64_t i = 0; i < n; i++) c[i] = f(a[i], b[i]);
  } else if (bn == 1) {
    const float s = b[0];
    for (int64_t i = 0; i < n; i++) c[i] = f(a[i], s);
  } else {
    for (int64_t base = 0; base < n; base += bn) {
      for (int64_t j = 0; j < bn; j++) c[base + j] = f(a[base + j], b[j]);
    }
  }
}

}  // namespace

extern "C" {

const char* fk_last_error(void) { return last_error; }

const char* fk_gemm_impl(void) {
#ifdef FABRIC_WITH_OPENBLAS
  return "openblas";
#else
  return "blocked";
#endif
}

int fk_gemm(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b, int64_t stride_a, int64_t stride_b) {
  try {
    if (k == 0) {
      std::fill(c, c + batch * m * n, 0.0f);
      return FK_OK;
    }
    for (int64_t i = 0; i < batch; i++) {
      one_gemm(a + i * stride_a, b + i * stride_b, c + i * m * n, m, n, k, trans_a != 0, trans_b != 0, 0.0f);
    }
    return FK_OK;
  } catch (const std::bad_alloc&) {
    return fail(FK_ERR_OOM, "gemm: out of memory for a packing buffer");
  }
}

int fk_linear(const float* x, const float* w, const float* bias, float* y, int64_t rows, int64_t in, int64_t out) {
  try {
    if (bias != nullptr) {
      for (int64_t r = 0; r < rows; r++) std::memcpy(y + r * out, bias, out * sizeof(float));
    }
    if (in == 0) {
      if (bias == nullptr) std::fill(y, y + rows * out, 0.0f);
      return FK_OK;
    }
    one_gemm(x, w, y, rows, out, in, false, true, bias != nullptr ? 1.0f : 0.0f);
    return FK_OK;
  } catch (const std::bad_alloc&) {
    return fail(FK_ERR_OOM, "linear: out of memory for a packing buffer");
  }
}

int fk_binary(int op, const float* a, const float* b, float* c, int64_t n, int64_t bn) {
  if (bn <= 0 || n % bn != 0) return fail(FK_ERR_ARG, "binary: the broadcast period does not divide the length");
  switch (op) {
    case FK_ADD: zip(a, b, c, n, bn, [](float x, float y) { return x + y; }); return FK_OK;
    case FK_SUB: zip(a, b, c, n, bn, [](float x, float y) { return x - y; }); return FK_OK;
    case FK_MUL: zip(a, b, c, n, bn, [](float x, float y) { return x * y; }); return FK_OK;
    case FK_DIV: zip(a, b, c, n, bn, [](float x, float y) { return x / y; }); return FK_OK;
    default: return fail(FK_ERR_ARG, "binary: unknown op");
  }
}

int fk_scale(const float* a, float* c, int64_t n, float f) {
  map(a, c, n, [f](float x) { return x * f; });
  return FK_OK;
}

int fk_unary(int op, const float* a, float* c, int64_t n) {
  switch (op) {
    case FK_RELU: map(a, c, n, [](float x) { return x > 0.0f ? x : 0.0f; }); return FK_OK;
    case FK_GELU: map(a, c, n, gelu); return FK_OK;
    case FK_EXP: map(a, c, n, [](float x) { return std::exp(x); }); return FK_OK;
    default: return fail(FK_ERR_ARG, "unary: unknown op");
  }
}

int fk_softmax(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner) {
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      const float* src = a + o * dim * inner + i;
      float* dst = c + o * dim * inner + i;
      float mx = -INFINITY;
      for (int64_t d = 0; d < dim; d++) mx = std::max(mx, src[d * inner]);
      double total = 0.0;
      for (int64_t d = 0; d < dim; d++) {
        const float e = std::exp(src[d * inner] - mx);
        dst[d * inner] = e;
        total += e;
      }
      const float inv = static_cast<float>(1.0 / total);
      for (int64_t d = 0; d < dim; d++) dst[d * inner] *= inv;
    }
  }
  return FK_OK;
}

int fk_reduce(int op, const float* a, float* c, int64_t outer, int64_t dim, int64_t inner) {
  if (op != FK_SUM && op != FK_MEAN) return fail(FK_ERR_ARG, "reduce: unknown op");
  try {
    std::vector<double> acc(inner);
    for (int64_t o = 0; o < outer; o++) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const float* src = a + o * dim * inner;
      for (int64_t d = 0; d < dim; d++) {
        const float* row = src + d * inner;
        for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
      }
      for (int64_t i = 0; i < inner; i++) {
        c[o * inner + i] = static_cast<float>(op == FK_MEAN ? (dim == 0 ? NAN : acc[i] / dim) : acc[i]);
      }
    }
    return FK_OK;
  } catch (const std::bad_alloc&) {
    return fail(FK_ERR_OOM, "reduce: out of memory");
  }
}

int fk_transpose(const float* a, float* c, int64_t batch, int64_t rows, int64_t cols) {
  constexpr int64_t T = 32;
  for (int64_t b = 0; b < batch; b++) {
    const float* src = a + b * rows * cols;
    float* dst = c + b * rows * cols;
    for (int64_t r0 = 0; r0 < rows; r0 += T) {
      for (int64_t c0 = 0; c0 < cols; c0 += T) {
        const int64_t r1 = std::min(rows, r0 + T), c1 = std::min(cols, c0 + T);
        for (int64_t r = r0; r < r1; r++) {
          for (int64_t q = c0; q < c1; q++) dst[q * rows + r] = src[r * cols + q];
        }
      }
    }
  }
  return FK_OK;
}

int fk_conv2d(const float* x, const float* w, const float* bias, float* y, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride, int64_t pad, int64_t oh, int64_t ow) {
  // Per image: im2col into col[c*r*s, oh*ow], then Y[k, oh*ow] = W[k, c*r*s] · col (+ bias).
  try {
    const int64_t patch = c * r * s, pixels = oh * ow;
    std::vector<float> col(patch * pixels);
    for (int64_t img = 0; img < n; img++) {
      const float* xi = x + img * c * h * wd;
      for (int64_t ch = 0; ch < c; ch++) {
        for (int64_t i = 0; i < r; i++) {
          for (int64_t j = 0; j < s; j++) {
            float* dst = col.data() + ((ch * r + i) * s + j) * pixels;
            for (int64_t oy = 0; oy < oh; oy++) {
              const int64_t iy = oy * stride - pad + i;
              for (int64_t ox = 0; ox < ow; ox++) {
                const int64_t ix = ox * stride - pad + j;
                dst[oy * ow + ox] = (iy >= 0 && iy < h && ix >= 0 && ix < wd) ? xi[(ch * h + iy) * wd + ix] : 0.0f;
              }
            }
          }
        }
      }
      float* yi = y + img * k * pixels;
      if (bias != nullptr) {
        for (int64_t q = 0; q < k; q++) std::fill(yi + q * pixels, yi + (q + 1) * pixels, bias[q]);
      }
      if (patch == 0) {
        if (bias == nullptr) std::fill(yi, yi + k * pixels, 0.0f);
        continue;
      }
      one_gemm(w, col.data(), yi, k, pixels, patch, false, false, bias != nullptr ? 1.0f : 0.0f);
    }
    return FK_OK;
  } catch (const std::bad_alloc&) {
    return fail(FK_ERR_OOM, "conv2d: out of memory for the im2col buffer");
  }
}

}  // extern "C"
