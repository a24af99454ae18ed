// Internal to cohortctl: the attributes half of `cohortctl import`.
#pragma once

#include "absl/status/status.h"
#include "services/common/shard_router.h"
#include "tools/cohortctl/commands.h"
#include "tools/common/events_csv.h"

namespace cohort::cohortctl {

// Upserts every row `reader` yields through `router`, options.batch rows per
// call (the router fans each call out to the nodes in parallel). Unreachable nodes are
// retried with backoff for options.retry_for. A batch a node refuses as INVALID_ARGUMENT is
// re-sent one customer at a time, so only the bad customers' rows are rejected. Prints a
// summary line on stdout. Errors: the file cannot be read, or some rows could not be
// delivered.
absl::Status ImportAttributes(ShardRouter& router, tools::AttributesCsvReader& reader,
                              const ImportOptions& options);

}  // namespace cohort::cohortctl
