// AlsModel::Train and the ALS objective (see als.h).
#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "models/recommend/als.h"
#include "models/recommend/als_internal.h"

namespace cohort::models::recommend {
namespace {

using internal::AlsObservation;
using Matrix = AlsModel::Matrix;
using RowMajor = Eigen::SparseMatrix<float, Eigen::RowMajor, int32_t>;

// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator whose output is specified exactly,
// so the same seed gives the same model on every platform and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1).
  double Symmetric() { return static_cast<double>(Next() >> 11) * 0x1.0p-52 - 1.0; }

 private:
  uint64_t state_;
};

// Solves every row of `rows` (the observations of one side) against `fixed` (the other
// side's factors) into `out`, splitting rows over `num_threads` threads.
void SolveSide(const RowMajor& rows, const Matrix& fixed, const AlsOptions& options, Matrix& out) {
  const Eigen::MatrixXd gram = internal::RegularizedGram(fixed, options.regularization);
  const auto num_rows = static_cast<int32_t>(rows.rows());
  auto solve_range = [&](int32_t begin, int32_t end) {
    std::vector<AlsObservation> observations;
    for (int32_t r = begin; r < end; ++r) {
      observations.clear();
      for (RowMajor::InnerIterator it(rows, r); it; ++it) {
        observations.push_back({static_cast<int32_t>(it.index()), it.value()});
      }
      if (observations.empty()) {
        out.row(r).setZero();
        continue;
      }
      internal::AlsRowSystem system =
          internal::BuildAlsRow(gram, fixed, options.alpha, observations);
      out.row(r) = system.llt.solve(system.b).cast<float>().transpose();
    }
  };
  const int32_t threads = std::min(options.num_threads, std::max(num_rows, 1));
  if (threads <= 1) {
    solve_range(0, num_rows);
    return;
  }
  std::vector<std::jthread> workers;
  const int32_t chunk = (num_rows + threads - 1) / threads;
  for (int32_t begin = 0; begin < num_rows; begin += chunk) {
    workers.emplace_back(solve_range, begin, std::min(begin + chunk, num_rows));
  }
}

}  // namespace

absl::Status AlsOptions::Validate() const {
  if (factors < 1 || factors > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("AlsOptions.factors must be in [1, 1024], got ", factors));
  }
  if (!std::isfinite(regularization) || regularization <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("AlsOptions.regularization must be finite and > 0, got ", regularization));
  }
  if (!std::isfinite(alpha) || alpha < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("AlsOptions.alpha must be finite and >= 0, got ", alpha));
  }
  if (iterations < 1 || iterations > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("AlsOptions.iterations must be in [1, 1000], got ", iterations));
  }
  if (!std::isfinite(init_scale) || init_scale <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("AlsOptions.init_scale must be finite and > 0, got ", init_scale));
  }
  if (num_threads < 1 || num_threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("AlsOptions.num_threads must be in [1, 256], got ", num_threads));
  }
  return absl::OkStatus();
}

absl::StatusOr<AlsTrainingResult> AlsModel::Train(const InteractionMatrix& interactions,
                                                  const AlsOptions& options) {
  absl::Status status = options.Validate();
  if (!status.ok()) return status;
  const RowMajor& by_user = interactions.matrix();
  const RowMajor by_item = by_user.transpose();  // items x users, compressed rows
  Matrix users(interactions.num_users(), options.factors);
  Matrix items = Matrix::Zero(interactions.num_items(), options.factors);
  SplitMix64 random(options.seed);
  const double scale = options.init_scale / std::sqrt(static_cast<double>(options.factors));
  for (Eigen::Index i = 0; i < users.size(); ++i) {
    users.data()[i] = static_cast<float>(scale * random.Symmetric());
  }
  AlsTrainingResult result;
  for (int32_t iteration = 0; iteration < options.iterations; ++iteration) {
    SolveSide(by_item, users, options, items);
    SolveSide(by_user, items, options, users);
    result.loss.push_back(
        AlsLoss(interactions, users, items, options.alpha, options.regularization));
  }
  result.model = std::unique_ptr<AlsModel>(
      new AlsModel(options.regularization, options.alpha, std::move(items)));
  result.user_factors = std::move(users);
  return result;
}

double AlsLoss(const InteractionMatrix& interactions, const Matrix& user_factors,
               const Matrix& item_factors, double alpha, double regularization) {
  const Eigen::MatrixXd x = user_factors.cast<double>();
  const Eigen::MatrixXd y = item_factors.cast<double>();
  // sum over every (u, i) of (x_u·y_i)² = <XᵀX, YᵀY>, then correct the observed entries.
  double loss = (x.transpose() * x).cwiseProduct(y.transpose() * y).sum();
  const RowMajor& rows = interactions.matrix();
  for (int32_t u = 0; u < rows.outerSize(); ++u) {
    for (RowMajor::InnerIterator it(rows, u); it; ++it) {
      const double s = x.row(u).dot(y.row(it.index()));
      const double c = 1.0 + alpha * it.value();
      loss += c * (1.0 - s) * (1.0 - s) - s * s;
    }
  }
  return loss + regularization * (x.squaredNorm() + y.squaredNorm());
}

}  // namespace cohort::models::recommend
