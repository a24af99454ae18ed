#include "models/propensity/xgboost_forest.h"

#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "models/propensity/xgboost_json.pb.h"

namespace cohort::models::propensity::internal {
namespace {

absl::Status Unsupported(absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat("XGBoost model not compiled natively: ", what));
}

// Parameters XGBoost writes as strings ("1", "5E-1"); empty means absent.
bool ParseNumber(const std::string& text, double* out) {
  return !text.empty() && absl::SimpleAtod(text, out);
}

}  // namespace

absl::StatusOr<CompiledForest> CompiledForest::FromJson(absl::string_view json,
                                                        size_t num_features) {
  xgbjson::Model model;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &model, options);
  if (!parsed.ok()) {
    return absl::DataLossError(
        absl::StrCat("XGBoost JSON model does not parse: ", parsed.ToString()));
  }
  const xgbjson::Learner& learner = model.learner();
  if (learner.objective().name() != "binary:logistic") {
    return Unsupported(absl::StrCat("objective ", learner.objective().name()));
  }
  if (learner.gradient_booster().name() != "gbtree") {
    return Unsupported(absl::StrCat("booster ", learner.gradient_booster().name()));
  }
  const xgbjson::LearnerModelParam& param = learner.learner_model_param();
  double num_target = 1, num_class = 0, base_score = 0.5, parallel = 1;
  if ((!param.num_target().empty() && !ParseNumber(param.num_target(), &num_target)) ||
      (!param.num_class().empty() && !ParseNumber(param.num_class(), &num_class)) ||
      !ParseNumber(param.base_score(), &base_score) ||
      !ParseNumber(learner.gradient_booster().model().gbtree_model_param().num_parallel_tree(),
                   &parallel)) {
    return absl::DataLossError("XGBoost JSON model lacks its base_score or tree parameters");
  }
  if (num_target != 1 || num_class > 1 || parallel != 1) {
    return Unsupported("more than one target, class or parallel tree");
  }
  if (!(base_score > 0 && base_score < 1)) {
    return absl::DataLossError(
        absl::StrCat("XGBoost base_score ", base_score, " is not in (0, 1)"));
  }
  CompiledForest forest;
  forest.num_features_ = num_features;
  // binary:logistic keeps base_score as a probability; the margin starts at its logit.
  forest.base_margin_ = static_cast<float>(-std::log(1.0 / base_score - 1.0));
  for (const xgbjson::Tree& tree : learner.gradient_booster().model().trees()) {
    const int n = tree.left_children_size();
    if (n < 1 || tree.right_children_size() != n || tree.split_indices_size() != n ||
        tree.split_conditions_size() != n || tree.default_left_size() != n ||
        tree.sum_hessian_size() != n ||
        (tree.split_type_size() != 0 && tree.split_type_size() != n)) {
      return absl::DataLossError("XGBoost JSON tree has arrays of different lengths");
    }
    const auto offset = static_cast<int32_t>(forest.nodes_.size());
    forest.roots_.push_back(offset);
    for (int i = 0; i < n; ++i) {
      Node node;
      const int32_t left = tree.left_children(i);
      const int32_t right = tree.right_children(i);
      if (left != -1) {
        // Children come after their parent in XGBoost's layout, which Fill relies on.
        if (left <= i || left >= n || right <= i || right >= n) {
          return absl::DataLossError("XGBoost JSON tree has out-of-order children");
        }
        if (tree.split_type_size() != 0 && tree.split_type(i) != 0) {
          return Unsupported("categorical splits");
        }
        const int64_t feature = tree.split_indices(i);
        if (feature < 0 || static_cast<size_t>(feature) >= num_features) {
          return absl::DataLossError(
              absl::StrCat("XGBoost JSON tree splits on feature ", feature, " of ", num_features));
        }
        node.left = offset + left;
        node.right = offset + right;
        node.feature = static_cast<uint32_t>(feature);
        node.default_left = tree.default_left(i) != 0;
      }
      node.split = tree.split_conditions(i);
      forest.nodes_.push_back(node);
    }
    // Means bottom-up (children have larger indices), as XGBoost's FillNodeMeanValues:
    // a leaf's value, else the children's means weighted by their hessian sums.
    for (int i = n - 1; i >= 0; --i) {
      Node& node = forest.nodes_[offset + i];
      if (node.left < 0) {
        node.mean = node.split;
        continue;
      }
      const int32_t l = node.left - offset, r = node.right - offset;
      float mean = forest.nodes_[node.left].mean * tree.sum_hessian(l);
      mean += forest.nodes_[node.right].mean * tree.sum_hessian(r);
      node.mean = mean / tree.sum_hessian(i);
    }
  }
  return forest;
}

int32_t CompiledForest::Next(const Node& node, absl::Span<const float> row) const {
  const float x = row[node.feature];
  if (std::isnan(x)) return node.default_left ? node.left : node.right;
  return x < node.split ? node.left : node.right;
}

float CompiledForest::Margin(absl::Span<const float> row) const {
  // XGBoost starts each row's prediction at the base margin and adds tree after tree.
  float sum = base_margin_;
  for (const int32_t root : roots_) {
    const Node* node = &nodes_[root];
    while (node->left >= 0) node = &nodes_[Next(*node, row)];
    sum += node->split;
  }
  return sum;
}

void CompiledForest::Contributions(absl::Span<const float> row, std::vector<float>& out) const {
  out.assign(num_features_ + 1, 0.0f);
  // XGBoost's RegTree::CalculateContributionsApprox sums each tree into its own vector, then
  // adds that vector to the row's; the same order of float additions here, touching only the
  // features on the path.
  std::vector<float> tree(num_features_ + 1, 0.0f);
  std::vector<uint32_t> touched;
  for (const int32_t root : roots_) {
    const Node* node = &nodes_[root];
    tree[num_features_] += node->mean;
    touched.push_back(static_cast<uint32_t>(num_features_));
    while (node->left >= 0) {
      const Node* next = &nodes_[Next(*node, row)];
      tree[node->feature] += next->mean - node->mean;
      touched.push_back(node->feature);
      node = next;
    }
    for (const uint32_t j : touched) {
      out[j] += tree[j];
      tree[j] = 0;  // a feature split twice on the path is added once, then zero
    }
    touched.clear();
  }
  out[num_features_] += base_margin_;
}

}  // namespace cohort::models::propensity::internal
