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

// The derivative of gelu above: with s = 1 / (1 + exp(-2z)), gelu = x s and
// gelu' = s + x s (1 - s) dz/dx * 2, dz/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2). Evaluated in double.
inline float gelu_grad(float xf) {
  const double x = xf, k = 0.7978845608028654;
  const double s = 1.0 / (1.0 + std::exp(-2.0 * k * (x + 0.044715 * x * x * x)));
  return static_cast<float>(s + x * s * (1.0 - s) * 2.0 * k * (1.0 + 0.134145 * x * x));
}

// The dropout mask's uniform number for element i (kernels.h): a 32-bit integer mix of seed and i.
inline float mask_uniform(uint32_t seed, int64_t i) {
  uint32_t h = seed ^ (static_cast<uint32_t>(i) * 0x9E3779B9u);
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return static_cast<float>(h >> 8) * (1.0f / 16777216.0f);
}

// im2col of one image: col[c*r*s, oh*ow] (zero outside the padded input).
void im2col(const float* xi, float* col, int64_t c, int64_t h, int64_t wd, int64_t r, int64_t s, int64_t stride, int64_t pad, int64_t oh, int64_t ow) {
  const int64_t pixels = oh * ow;
  for (int64_t ch = 0; ch < c; ch++) {
    for (int64_t i = 0; i < r; i++) {
      for (int64_t j = 0; j < s; j++) {
        float* dst = col + ((ch * r + i) * s + j) * pixels;
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
    case FK_LOG: map(a, c, n, [](float x) { return std::log(x); }); return FK_OK;
    case FK_SQRT: map(a, c, n, [](float x) { return std::sqrt(x); }); return FK_OK;
    case FK_TANH: map(a, c, n, [](float x) { return std::tanh(x); }); return FK_OK;
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
      im2col(x + img * c * h * wd, col.data(), c, h, wd, r, s, stride, pad, oh, ow);
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

int fk_unary_grad(int op, const float* x, const float* g, float* c, int64_t n) {
  switch (op) {
    case FK_RELU: for (int64_t i = 0; i < n; i++) c[i] = x[i] > 0.0f ? g[i] : 0.0f; return FK_OK;
    case FK_GELU: for (int64_t i = 0; i < n; i++) c[i] = g[i] * gelu_grad(x[i]); return FK_OK;
    default: return fail(FK_ERR_ARG, "unary_grad: only relu and gelu have a gradient kernel");
  }
}

int fk_log_softmax(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner) {
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      const float* src = a + o * dim * inner + i;
      float* dst = c + o * dim * inner + i;
      float mx = -INFINITY;
      for (int64_t d = 0; d < dim; d++) mx = std::max(mx, src[d * inner]);
      double total = 0.0;
      for (int64_t d = 0; d < dim; d++) total += std::exp(static_cast<double>(src[d * inner]) - mx);
      const double lse = mx + std::log(total);
      for (int64_t d = 0; d < dim; d++) dst[d * inner] = static_cast<float>(src[d * inner] - lse);
    }
  }
  return FK_OK;
}

int fk_softmax_grad(int log, const float* y, const float* g, float* c, int64_t outer, int64_t dim, int64_t inner) {
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      const int64_t base = o * dim * inner + i;
      double acc = 0.0;
      if (log != 0) {
        for (int64_t d = 0; d < dim; d++) acc += g[base + d * inner];
        for (int64_t d = 0; d < dim; d++) c[base + d * inner] = static_cast<float>(g[base + d * inner] - std::exp(static_cast<double>(y[base + d * inner])) * acc);
      } else {
        for (int64_t d = 0; d < dim; d++) acc += static_cast<double>(g[base + d * inner]) * y[base + d * inner];
        for (int64_t d = 0; d < dim; d++) c[base + d * inner] = static_cast<float>(y[base + d * inner] * (g[base + d * inner] - acc));
      }
    }
  }
  return FK_OK;
}

int fk_repeat(const float* a, float* c, int64_t outer, int64_t dim, int64_t inner) {
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t d = 0; d < dim; d++) std::memcpy(c + (o * dim + d) * inner, a + o * inner, inner * sizeof(float));
  }
  return FK_OK;
}

// Per image: dcol[c*r*s, oh*ow] = Wᵀ · G_img, then col2im adds each column back where it came from.
int fk_conv2d_grad_input(const float* g, const float* w, float* dx, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride, int64_t pad, int64_t oh, int64_t ow) {
  try {
    const int64_t patch = c * r * s, pixels = oh * ow;
    std::fill(dx, dx + n * c * h * wd, 0.0f);
    if (patch == 0 || pixels == 0 || k == 0) return FK_OK;
    std::vector<float> dcol(patch * pixels);
    for (int64_t img = 0; img < n; img++) {
      one_gemm(w, g + img * k * pixels, dcol.data(), patch, pixels, k, true, false, 0.0f);
      float* di = dx + img * c * h * wd;
      for (int64_t ch = 0; ch < c; ch++) {
        for (int64_t i = 0; i < r; i++) {
          for (int64_t j = 0; j < s; j++) {
            const float* src = dcol.data() + ((ch * r + i) * s + j) * pixels;
            for (int64_t oy = 0; oy < oh; oy++) {
              const int64_t iy = oy * stride - pad + i;
              if (iy < 0 || iy >= h) continue;
              for (int64_t ox = 0; ox < ow; ox++) {
                const int64_t ix = ox * stride - pad + j;
                if (ix >= 0 && ix < wd) di[(ch * h + iy) * wd + ix] += src[oy * ow + ox];
              }
            }
          }
        }
      }
    }
    return FK_OK;
  } catch (const std::bad_alloc&) {
    return fail(FK_ERR_OOM, "conv2d_grad_input: out of memory for the column buffer");
  }
}

// DW[k, c*r*s] = sum over images of G_img[k, oh*ow] · col_imgᵀ.
int fk_conv2d_grad_weight(const float* x, const float* g, float* dw, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t k, int64_t r, int64_t s, int64_t stride, int64_t pad, int64_t oh, int64_t ow) {
  try {
    const int64_t patch = c * r * s, pixels = oh * ow;
    std::fill(dw, dw + k * patch, 0.0f);
    if (patch == 0 || pixels == 0 || k == 0) return FK_OK;
    std::vector<float> col(patch * pixels);
    for (int64_t img = 0; img < n; img++) {
      im2col(x + img * c * h * wd, col.data(), c, h, wd, r, s, stride, pad, oh, ow);
      one_gemm(g + img * k * pixels, col.data(), dw, k, patch, pixels, false, true, img == 0 ? 0.0f : 1.0f);
    }
    return FK_OK;
  } catch (const std::bad_alloc&) {
    return fail(FK_ERR_OOM, "conv2d_grad_weight: out of memory for the im2col buffer");
  }
}

int fk_dropout(const float* a, float* c, int64_t n, float p, uint32_t seed) {
  if (!(p >= 0.0f && p < 1.0f)) return fail(FK_ERR_ARG, "dropout: p must be in [0, 1)");
  const float keep = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; i++) c[i] = mask_uniform(seed, i) >= p ? a[i] * keep : 0.0f;
  return FK_OK;
}

}  // extern "C"
