// Internal to bench/micro: setup helpers of the micro-benchmarks (failures abort: a
// benchmark without its fixture has nothing to measure).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort::micro {

// The value of `result`; prints the error and aborts if it is not OK.
template <typename T>
T OrDie(absl::StatusOr<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "cohort-micro: %s: %s\n", what, result.status().ToString().c_str());
    std::abort();
  }
  return *std::move(result);
}

}  // namespace cohort::micro
