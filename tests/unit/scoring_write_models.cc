// Test helper for tests/python/test_scoring.py: trains the small real models of
// scoring_test_util.h and writes them as version 1 under $COHORT_MODELS_DIR. A gtest
// program so the training helpers' expectations are checked: exit code 0 means written.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "scoring_test_util.h"

namespace cohort::scoring::test {
namespace {

TEST(WriteModels, WritesEveryModel) {
  const char* dir = std::getenv("COHORT_MODELS_DIR");
  ASSERT_NE(dir, nullptr) << "set COHORT_MODELS_DIR";
  WriteSegmentation(dir);
  WritePropensity(dir, "propensity_purchase_30d");
  WriteRecommend(dir);
}

}  // namespace
}  // namespace cohort::scoring::test
