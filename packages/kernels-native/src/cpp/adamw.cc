#include "adamw.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace steel {
namespace {

// Built for several ISAs, picked at load time. Bits do not depend on the choice: the code is compiled with
// -ffp-contract=off (no fused multiply-add) and only uses correctly rounded operations (+ - * / sqrt).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define STEEL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define STEEL_CLONES
#endif

STEEL_CLONES
void UpdateRange(const AdamWTensor& t, size_t begin, size_t end, const AdamWConstants& c) {
  float* __restrict p = t.p;
  const float* __restrict g = t.g;
  float* __restrict m = t.m;
  float* __restrict v = t.v;
  const double decay = t.decay;
  for (size_t i = begin; i < end; i++) {
    const double gi = static_cast<double>(g[i]) * c.grad_scale;
    const double mi = static_cast<double>(m[i]) * c.b1 + gi * c.one_minus_b1;
    const double vi = static_cast<double>(v[i]) * c.b2 + gi * gi * c.one_minus_b2;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    p[i] = static_cast<float>(static_cast<double>(p[i]) * decay -
                              (c.step_size * mi) / (std::sqrt(vi) * c.inv_bc2_sqrt + c.eps));
  }
}

STEEL_CLONES
double BlockSum(const float* __restrict x, size_t n) {
  double l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t j = 0; j < 8; j++) {
      const double xj = x[i + j];
      l[j] += xj * xj;
    }
  }
  for (size_t j = 0; i < n; i++, j++) {
    const double xi = x[i];
    l[j] += xi * xi;
  }
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/** Runs work(w) for w in [0, threads) on threads - 1 new threads and this one. */
template <typename F>
void Parallel(unsigned threads, F work) {
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads; w++) pool.emplace_back(work, w);
  work(0u);
  for (auto& t : pool) t.join();
}

}  // namespace

void AdamWUpdate(const std::vector<AdamWTensor>& tensors, const AdamWConstants& c, unsigned threads) {
  size_t total = 0;
  for (const auto& t : tensors) total += t.n;
  threads = static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(threads, total / 65536 + 1)));
  // Thread w takes elements [w * total / threads, (w + 1) * total / threads) of the tensors laid end to end.
  Parallel(threads, [&](unsigned w) {
    const size_t lo = total * w / threads;
    const size_t hi = total * (w + 1) / threads;
    size_t base = 0;
    for (const auto& t : tensors) {
      const size_t b = std::max(lo, base);
      const size_t e = std::min(hi, base + t.n);
      if (b < e) UpdateRange(t, b - base, e - base, c);
      base += t.n;
      if (base >= hi) break;
    }
  });
}

double SumOfSquares(const std::vector<std::pair<const float*, size_t>>& arrays, unsigned threads) {
  struct Block {
    const float* x;
    size_t n;
  };
  std::vector<Block> blocks;
  for (const auto& [x, n] : arrays) {
    for (size_t at = 0; at < n; at += kNormBlock) blocks.push_back({x + at, std::min(kNormBlock, n - at)});
  }
  std::vector<double> sums(blocks.size());
  threads = static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(threads, blocks.size())));
  Parallel(threads, [&](unsigned w) {
    const size_t lo = blocks.size() * w / threads;
    const size_t hi = blocks.size() * (w + 1) / threads;
    for (size_t b = lo; b < hi; b++) sums[b] = BlockSum(blocks[b].x, blocks[b].n);
  });
  double total = 0;
  for (double s : sums) total += s;
  return total;
}

}  // namespace steel
