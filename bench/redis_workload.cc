#include "bench/redis_workload.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace cohort::bench {
namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;

absl::StatusOr<Context> Connect(const std::string& address) {
  std::pair<std::string, std::string> hp = absl::StrSplit(address, ':');
  int port = 0;
  if (!absl::SimpleAtoi(hp.second, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis address '", address, "' must be host:port"));
  }
  Context c(redisConnect(hp.first.c_str(), port));
  if (c == nullptr) return absl::ResourceExhaustedError("redis: cannot allocate a context");
  if (c->err != 0) {
    return absl::UnavailableError(absl::StrCat("redis ", address, ": ", c->errstr));
  }
  return c;
}

absl::StatusOr<Reply> NextReply(redisContext* c) {
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) {
    return absl::UnavailableError(absl::StrCat("redis: ", c->errstr));
  }
  Reply reply(static_cast<redisReply*>(raw));
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::InternalError(absl::StrCat("redis: ", std::string(reply->str, reply->len)));
  }
  return reply;
}

std::string ValueText(const v1::FeatureValue& value) {
  switch (value.kind_case()) {
    case v1::FeatureValue::kDoubleValue:
      return absl::StrCat(value.double_value());
    case v1::FeatureValue::kIntValue:
      return absl::StrCat(value.int_value());
    case v1::FeatureValue::kStringValue:
      return value.string_value();
    case v1::FeatureValue::kBoolValue:
      return value.bool_value() ? "true" : "false";
    default:
      return "";
  }
}

}  // namespace

OpFactory RedisGetFeatures(std::string address, RequestShape shape) {
  return [address, shape](int index) -> absl::StatusOr<Op> {
    COHORT_ASSIGN_OR_RETURN(Context connection, Connect(address));
    auto c = std::shared_ptr<redisContext>(connection.release(), ContextFree());
    return Op([c, shape, rng = WorkerRng(shape, index),
               ids = std::vector<std::string>(shape.batch)]() mutable -> absl::Status {
      DrawIds(shape, rng, ids);
      for (const std::string& id : ids) {
        if (redisAppendCommand(c.get(), "HGETALL %b", id.data(), id.size()) != REDIS_OK) {
          return absl::UnavailableError(absl::StrCat("redis: ", c->errstr));
        }
      }
      for (size_t i = 0; i < ids.size(); ++i) {
        COHORT_ASSIGN_OR_RETURN(Reply reply, NextReply(c.get()));
        if (reply->type != REDIS_REPLY_ARRAY) {
          return absl::InternalError("redis: HGETALL did not answer an array");
        }
      }
      return absl::OkStatus();
    });
  };
}

absl::StatusOr<uint64_t> LoadRedisFromCluster(ShardRouter& router, const std::string& address,
                                              double* bytes_per_customer) {
  COHORT_ASSIGN_OR_RETURN(Context c, Connect(address));
  uint64_t customers = 0, bytes = 0, pending = 0;
  auto drain = [&]() -> absl::Status {
    for (; pending > 0; --pending) COHORT_RETURN_IF_ERROR(NextReply(c.get()).status());
    return absl::OkStatus();
  };
  std::vector<std::string> argv;
  std::vector<const char*> argp;
  std::vector<size_t> argl;
  auto sink = [&](const std::vector<std::string>& names,
                  const v1::FeatureVector& row) -> absl::Status {
    argv.clear();
    argv.push_back("HSET");
    argv.push_back(row.customer_id());
    for (int i = 0; i < row.values_size() && i < static_cast<int>(names.size()); ++i) {
      argv.push_back(names[i]);
      argv.push_back(ValueText(row.values(i)));
      bytes += names[i].size() + argv.back().size();
    }
    argp.clear();
    argl.clear();
    for (const std::string& a : argv) {
      argp.push_back(a.data());
      argl.push_back(a.size());
    }
    if (redisAppendCommandArgv(c.get(), static_cast<int>(argv.size()), argp.data(), argl.data()) !=
        REDIS_OK) {
      return absl::UnavailableError(absl::StrCat("redis: ", c->errstr));
    }
    ++customers;
    if (++pending >= 1000) return drain();
    return absl::OkStatus();
  };
  const uint32_t partitions = router.map()->partitions();
  COHORT_RETURN_IF_ERROR(router.Export(0, partitions, {}, std::nullopt, sink).status());
  COHORT_RETURN_IF_ERROR(drain());
  if (bytes_per_customer != nullptr) {
    *bytes_per_customer =
        customers == 0 ? 0 : static_cast<double>(bytes) / static_cast<double>(customers);
  }
  return customers;
}

absl::StatusOr<uint64_t> RedisCountExisting(const std::string& address,
                                            const std::vector<std::string>& ids) {
  COHORT_ASSIGN_OR_RETURN(Context c, Connect(address));
  for (const std::string& id : ids) {
    redisAppendCommand(c.get(), "EXISTS %b", id.data(), id.size());
  }
  uint64_t found = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    COHORT_ASSIGN_OR_RETURN(Reply reply, NextReply(c.get()));
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0) ++found;
  }
  return found;
}

}  // namespace cohort::bench
