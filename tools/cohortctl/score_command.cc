// cohortctl score: one cohort.v1.Scoring/Score call against a scorer, printed per customer
// as a readable block (segment, propensities with their top contributions,
// recommendations, consent) or as protobuf JSON.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cohort/v1/scoring.grpc.pb.h"
#include "common/status_macros.h"
#include "services/common/grpc_status.h"
#include "tools/cohortctl/commands.h"

namespace cohort::cohortctl {
namespace {

// A stub whose calls carry `deadline`.
class ScorerClient {
 public:
  ScorerClient(const std::string& address, absl::Duration deadline)
      : address_(address),
        deadline_(deadline),
        stub_(v1::Scoring::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  absl::StatusOr<v1::ListModelsResponse> ListModels() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListModelsResponse response;
    grpc::Status status = stub_->ListModels(&context, v1::ListModelsRequest(), &response);
    if (!status.ok()) return Annotate(FromGrpcStatus(status), "ListModels");
    return response;
  }

  absl::StatusOr<v1::ScoreResponse> Score(const v1::ScoreRequest& request) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ScoreResponse response;
    grpc::Status status = stub_->Score(&context, request, &response);
    if (!status.ok()) return Annotate(FromGrpcStatus(status), "Score");
    return response;
  }

 private:
  void SetDeadline(grpc::ClientContext* context) const {
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline_));
  }

  absl::Status Annotate(const absl::Status& status, const char* rpc) const {
    return absl::Status(status.code(), absl::StrCat(rpc, " on scorer ", address_, ": ",
                                                    absl::StatusCodeToString(status.code()), ": ",
                                                    status.message()));
  }

  std::string address_;
  absl::Duration deadline_;
  std::unique_ptr<v1::Scoring::Stub> stub_;
};

// The served models, waiting up to `wait_for` while the scorer is unreachable or has not
// loaded any model yet.
absl::StatusOr<v1::ListModelsResponse> LoadedModels(ScorerClient& client, absl::Duration wait_for) {
  const absl::Time give_up = absl::Now() + wait_for;
  while (true) {
    absl::StatusOr<v1::ListModelsResponse> models = client.ListModels();
    const bool retryable = !models.ok() ? absl::IsUnavailable(models.status()) ||
                                              absl::IsDeadlineExceeded(models.status())
                                        : models->models().empty();
    if (!retryable || absl::Now() >= give_up) {
      if (models.ok() && models->models().empty()) {
        return absl::FailedPreconditionError(
            "the scorer has no model loaded: train models into its --models_dir "
            "(cohort-train) or wait with --wait_for");
      }
      return models;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// The request for `options`, models classified by the kind the scorer reports.
absl::StatusOr<v1::ScoreRequest> BuildRequest(const ScoreOptions& options,
                                              const v1::ListModelsResponse& loaded) {
  std::map<std::string, std::string> kinds;  // name -> kind
  std::vector<std::string> names;
  for (const v1::ModelInfo& model : loaded.models()) {
    kinds[model.name()] = model.kind();
    names.push_back(model.name());
  }
  std::vector<std::string> wanted = options.models.empty() ? names : options.models;
  v1::ScoreRequest request;
  for (const std::string& id : options.ids) request.add_customer_ids(id);
  request.set_top_features(3);
  for (const std::string& name : wanted) {
    auto it = kinds.find(name);
    if (it == kinds.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--models: '", name,
                       "' is not loaded by the scorer; loaded: ", absl::StrJoin(names, ", ")));
    }
    if (it->second == "segmentation") {
      request.set_segmentation(true);
    } else if (it->second == "propensity") {
      request.add_propensity_models(name);
    } else if (it->second == "recommend") {
      if (options.k > 0) request.mutable_recommendations()->set_k(options.k);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--models: '", name, "' has unknown kind '", it->second, "'"));
    }
  }
  if (!request.segmentation() && request.propensity_models().empty() &&
      !request.has_recommendations()) {
    return absl::InvalidArgumentError(
        "nothing to score: --models selects no model (or only recommend with --k=0)");
  }
  return request;
}

std::string Number(double value) {
  if (std::isnan(value)) return "missing";
  return absl::StrFormat("%.4g", value);
}

void PrintCustomer(const v1::CustomerScores& c, const std::map<std::string, uint64_t>& versions) {
  std::printf("%s\n", c.customer_id().c_str());
  if (c.status_code() != 0) {
    std::printf("  error: %s: %s\n",
                absl::StatusCodeToString(static_cast<absl::StatusCode>(c.status_code())).c_str(),
                c.status_message().c_str());
    return;
  }
  const v1::FeatureStatusCounts& fs = c.feature_status();
  std::printf("  features: %u present, %u not found, %u defaulted, %u stale%s\n", fs.present(),
              fs.not_found(), fs.defaulted(), fs.stale(),
              fs.customer_found() ? "" : " (customer unknown to the store: scored on defaults)");
  if (c.personalized()) {
    std::printf("  personalized: yes (marketing consent given)\n");
  } else {
    std::printf(
        "  personalized: no (marketing_consent is false or unknown: no segment or propensity, "
        "popularity recommendations only)\n");
  }
  if (c.has_segment()) {
    const v1::SegmentResult& s = c.segment();
    std::printf("  segment: RFM %s \"%s\" (R%d F%d M%d); cluster %d: %s (distance %.2f)\n",
                s.rfm().code().c_str(), s.rfm().segment().c_str(), s.rfm().recency(),
                s.rfm().frequency(), s.rfm().monetary(), s.cluster_id(),
                s.cluster_description().c_str(), s.cluster_distance());
  }
  for (const v1::PropensityResult& p : c.propensities()) {
    auto version = versions.find(p.model());
    std::string v = version == versions.end() ? "?" : absl::StrCat(version->second);
    std::printf("  %s: %.3f (v%s)\n", p.model().c_str(), p.probability(), v.c_str());
    for (const v1::FeatureContribution& f : p.top_features()) {
      std::printf("      %s=%s \u2192 %+.2f\n", f.name().c_str(), Number(f.value()).c_str(),
                  f.contribution());
    }
  }
  if (c.recommendations_size() > 0) {
    std::printf("  recommendations (%s):\n", c.recommendation_source().c_str());
    for (const v1::RecommendedItem& item : c.recommendations()) {
      std::printf("      %-14s %8.4g  because %s\n", item.item_id().c_str(), item.score(),
                  item.because().empty() ? "-" : absl::StrJoin(item.because(), ", ").c_str());
    }
  }
}

}  // namespace

absl::Status RunScore(const ScoreOptions& options) {
  if (options.scorer.empty()) return absl::InvalidArgumentError("score needs --scorer=HOST:PORT");
  if (options.ids.empty()) return absl::InvalidArgumentError("score needs --ids=a,b,c");
  if (options.k > 100) return absl::InvalidArgumentError("--k must be 0..100");
  ScorerClient client(options.scorer, options.deadline);
  COHORT_ASSIGN_OR_RETURN(v1::ListModelsResponse loaded, LoadedModels(client, options.wait_for));
  COHORT_ASSIGN_OR_RETURN(v1::ScoreRequest request, BuildRequest(options, loaded));
  COHORT_ASSIGN_OR_RETURN(v1::ScoreResponse response, client.Score(request));
  int failed = 0;
  for (const v1::CustomerScores& c : response.customers()) failed += c.status_code() != 0;
  if (options.json) {
    google::protobuf::util::JsonPrintOptions json;
    json.add_whitespace = true;
    json.preserve_proto_field_names = true;
    std::string text;
    auto printed = google::protobuf::util::MessageToJsonString(response, &text, json);
    if (!printed.ok()) {
      return absl::InternalError(absl::StrCat("cannot print the response: ", printed.ToString()));
    }
    std::printf("%s", text.c_str());
  } else {
    std::map<std::string, uint64_t> versions;
    std::vector<std::string> used;
    for (const v1::ModelVersion& m : response.model_versions()) {
      versions[m.model()] = m.version();
      used.push_back(absl::StrCat(m.model(), " v", m.version()));
    }
    std::printf("models: %s\n", absl::StrJoin(used, ", ").c_str());
    for (const v1::CustomerScores& c : response.customers()) {
      std::printf("\n");
      PrintCustomer(c, versions);
    }
  }
  if (failed > 0) {
    return absl::UnavailableError(absl::StrCat(failed, " of ", response.customers_size(),
                                               " customers could not be scored (see above)"));
  }
  return absl::OkStatus();
}

}  // namespace cohort::cohortctl
