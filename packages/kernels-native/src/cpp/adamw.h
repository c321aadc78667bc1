// AdamW update and the squared L2 norm over fp32 parameter buffers, spread over std::threads. Both give the same
// bits as the JavaScript versions in src/adamw-js.ts on any thread count: every element's update is computed in
// double in the same order and rounded once when stored, and the norm is summed in fixed blocks (see below).
#pragma once

#include <cstddef>
#include <vector>

namespace steel {

/** One parameter tensor's buffers (same length) and its decoupled-decay factor 1 - lr * weight_decay (or 1). */
struct AdamWTensor {
  float* p;
  const float* g;
  float* m;
  float* v;
  size_t n;
  double decay;
};

/** The step's constants, precomputed by the caller so that both implementations use the same doubles. */
struct AdamWConstants {
  double b1, b2, one_minus_b1, one_minus_b2;
  /** 1 / sqrt(1 - b2^t). */
  double inv_bc2_sqrt;
  double eps;
  /** lr / (1 - b1^t). */
  double step_size;
  /** Gradient multiplier (the clipping coefficient). */
  double grad_scale;
};

void AdamWUpdate(const std::vector<AdamWTensor>& tensors, const AdamWConstants& c, unsigned threads);

/** Elements per block of the norm: each block is summed on its own, the block sums then in order. */
constexpr size_t kNormBlock = 16384;

/**
 * Sum of squares of every array, in double: each array is cut into blocks of kNormBlock elements; a block is summed
 * in 8 interleaved lanes (element i into lane i % 8) combined as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)); block sums are
 * added in array order, then block order. The blocks are spread over threads; the result does not depend on how.
 */
double SumOfSquares(const std::vector<std::pair<const float*, size_t>>& arrays, unsigned threads);

}  // namespace steel
