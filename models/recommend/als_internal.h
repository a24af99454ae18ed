// The per-row least-squares solve shared by ALS training and fold-in (internal to
// models/recommend).
#pragma once

#include <cstdint>

#include "Eigen/Cholesky"
#include "Eigen/Core"
#include "absl/types/span.h"
#include "models/recommend/als.h"

namespace cohort::models::recommend::internal {

// One observed entry of a row: the index of the other side's factor and the weight r > 0.
struct AlsObservation {
  int32_t index = 0;
  float weight = 0;
};

// The normal equations A x = b of one row:
//   A = gram + sum_k alpha r_k f_k f_kᵀ,  b = sum_k (1 + alpha r_k) f_k
// where gram = FᵀF + regularization·I and f_k = factors.row(index_k).
struct AlsRowSystem {
  Eigen::LLT<Eigen::MatrixXd> llt;  // Cholesky factorization of A
  Eigen::VectorXd b;
};

AlsRowSystem BuildAlsRow(const Eigen::MatrixXd& gram, const AlsModel::Matrix& factors, double alpha,
                         absl::Span<const AlsObservation> observations);

// FᵀF + regularization·I in double precision.
Eigen::MatrixXd RegularizedGram(const AlsModel::Matrix& factors, double regularization);

}  // namespace cohort::models::recommend::internal
