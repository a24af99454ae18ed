#include "bench/workloads.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "storage/feature_registry.h"

namespace cohort::bench {

Rng WorkerRng(const RequestShape& shape, int index) {
  return Rng(shape.seed * 1000003 + static_cast<uint64_t>(index));
}

void DrawIds(const RequestShape& shape, Rng& rng, std::vector<std::string>& ids) {
  for (std::string& id : ids) id = CustomerId(shape.id_prefix, shape.keys->Next(rng));
}

OpFactory GrpcGetFeatures(ShardRouter* router, RequestShape shape, v1::ValueLayout layout) {
  FeatureReadOptions read;
  read.layout = layout;
  return [router, shape, read](int index) -> absl::StatusOr<Op> {
    return Op([router, shape, read, rng = WorkerRng(shape, index),
               ids = std::vector<std::string>(shape.batch)]() mutable -> absl::Status {
      DrawIds(shape, rng, ids);
      COHORT_ASSIGN_OR_RETURN(ShardRouter::FeaturesResponse response,
                              router->GetFeatures(ids, {}, read));
      if (response->vectors_size() != static_cast<int>(ids.size())) {
        return absl::InternalError(absl::StrCat("GetFeatures answered ", response->vectors_size(),
                                                " vectors for ", ids.size(), " ids"));
      }
      return absl::OkStatus();
    });
  };
}

void FillEvent(Rng& rng, std::string event_id, std::string customer_id, int64_t now,
               v1::Event& event) {
  static constexpr const char* kTypes[] = {"view", "view", "view", "add_to_cart", "purchase"};
  static constexpr const char* kChannels[] = {"web", "app", "store"};
  static constexpr const char* kCategories[] = {"electronics", "apparel", "home", "books"};
  event.Clear();
  event.set_event_id(std::move(event_id));
  event.set_customer_id(std::move(customer_id));
  event.mutable_time()->set_seconds(now - static_cast<int64_t>(rng.Next() % (30 * 86400)));
  const char* type = kTypes[rng.Next() % 5];
  event.set_type(type);
  event.set_channel(kChannels[rng.Next() % 3]);
  event.set_item_id(absl::StrCat("sku-", 1 + rng.Next() % 1000));
  event.set_category(kCategories[rng.Next() % 4]);
  if (absl::string_view(type) == "purchase") {
    event.set_quantity(1 + static_cast<int64_t>(rng.Next() % 3));
    event.set_amount(static_cast<double>(rng.Next() % 20000) / 100.0);
  }
}

double MeanEventBytes(int n) {
  Rng rng(1);
  const KeyGenerator keys(KeyDistribution::kUniform, 1000000);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  v1::Event event;
  size_t total = 0;
  for (int i = 0; i < n; ++i) {
    // Ids shaped like GrpcIngest's: "bench-<run tag>-<worker>-<sequence>".
    FillEvent(rng, absl::StrCat("bench-", absl::ToUnixNanos(absl::Now()), "-0-", i),
              CustomerId("cust-", keys.Next(rng)), now, event);
    total += event.ByteSizeLong();
  }
  return n > 0 ? static_cast<double>(total) / n : 0.0;
}

absl::Status FirstRejection(const v1::IngestResponse& response) {
  if (response.error_code() != 0) {
    return absl::Status(static_cast<absl::StatusCode>(response.error_code()),
                        response.error_message());
  }
  if (response.rejected() == 0) return absl::OkStatus();
  for (const v1::EventResult& result : response.results()) {
    if (result.outcome() == v1::EventResult::OUTCOME_REJECTED) {
      return absl::InternalError(absl::StrCat("event rejected: ", result.reason()));
    }
  }
  return absl::InternalError("events rejected");
}

OpFactory GrpcIngest(ShardRouter* router, RequestShape shape, std::string run_tag) {
  return [router, shape, run_tag](int index) -> absl::StatusOr<Op> {
    return Op([router, shape, rng = WorkerRng(shape, index),
               prefix = absl::StrCat("bench-", run_tag, "-", index, "-"), seq = uint64_t{0},
               events = std::vector<v1::Event>(shape.batch)]() mutable -> absl::Status {
      const int64_t now = absl::ToUnixSeconds(absl::Now());
      std::string customer;
      for (size_t i = 0; i < events.size(); ++i) {
        if (i % static_cast<size_t>(shape.events_per_customer) == 0) {
          customer = CustomerId(shape.id_prefix, shape.keys->Next(rng));
        }
        FillEvent(rng, absl::StrCat(prefix, seq++), customer, now, events[i]);
      }
      COHORT_ASSIGN_OR_RETURN(v1::IngestResponse response, router->Ingest(events));
      return FirstRejection(response);
    });
  };
}

absl::StatusOr<std::unique_ptr<InprocStores>> InprocStores::Open(const std::string& shard_map_path,
                                                                 const std::string& checkpoint_root,
                                                                 const std::string& registry_path) {
  std::unique_ptr<InprocStores> stores(new InprocStores());
  COHORT_ASSIGN_OR_RETURN(stores->map_, ShardMap::LoadFile(shard_map_path));
  COHORT_ASSIGN_OR_RETURN(std::shared_ptr<const storage::FeatureRegistry> registry,
                          storage::FeatureRegistry::LoadFile(registry_path));
  for (const NodeSpec& node : stores->map_->nodes()) {
    storage::StoreOptions options;
    options.path = absl::StrCat(checkpoint_root, "/", node.id);
    options.partitions = stores->map_->partitions();
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<storage::ProfileStore> store,
                            storage::ProfileStore::Open(options, registry));
    stores->stores_.push_back(std::move(store));
  }
  if (stores->stores_.empty()) return absl::InvalidArgumentError("the shard map has no nodes");
  COHORT_ASSIGN_OR_RETURN(stores->all_, stores->stores_.front()->Select({}));
  return stores;
}

absl::StatusOr<size_t> InprocStores::GetFeatures(const std::vector<std::string>& ids) const {
  if (stores_.size() == 1) {
    COHORT_ASSIGN_OR_RETURN(std::vector<storage::FeatureVector> vectors,
                            stores_[0]->GetFeatures(ids, all_, std::nullopt));
    size_t found = 0;
    for (const auto& v : vectors) found += v.found ? 1 : 0;
    return found;
  }
  std::vector<std::vector<std::string>> per_node(stores_.size());
  for (const std::string& id : ids) {
    per_node[map_->OwnerOf(PartitionOf(id, map_->partitions()))].push_back(id);
  }
  size_t found = 0;
  for (size_t i = 0; i < per_node.size(); ++i) {
    if (per_node[i].empty()) continue;
    COHORT_ASSIGN_OR_RETURN(std::vector<storage::FeatureVector> vectors,
                            stores_[i]->GetFeatures(per_node[i], all_, std::nullopt));
    for (const auto& v : vectors) found += v.found ? 1 : 0;
  }
  return found;
}

OpFactory InprocGetFeatures(const InprocStores* stores, RequestShape shape) {
  return [stores, shape](int index) -> absl::StatusOr<Op> {
    return Op([stores, shape, rng = WorkerRng(shape, index),
               ids = std::vector<std::string>(shape.batch)]() mutable -> absl::Status {
      DrawIds(shape, rng, ids);
      return stores->GetFeatures(ids).status();
    });
  };
}

}  // namespace cohort::bench
