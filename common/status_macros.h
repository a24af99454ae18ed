// The few absl::Status helpers Abseil 20220623 lacks. Use these, not local copies.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define COHORT_STATUS_CONCAT_INNER_(a, b) a##b
#define COHORT_STATUS_CONCAT_(a, b) COHORT_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define COHORT_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status cohort_status_ = (expr);          \
    if (!cohort_status_.ok()) return cohort_status_; \
  } while (0)

// COHORT_ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>); returns its
// status if not OK, else move-assigns the value to `lhs` (which may be a declaration).
#define COHORT_ASSIGN_OR_RETURN(lhs, expr) \
  COHORT_ASSIGN_OR_RETURN_IMPL_(COHORT_STATUS_CONCAT_(cohort_statusor_, __LINE__), lhs, expr)

#define COHORT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
