#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "models/artifacts/artifact_store.h"
#include "tests/unit/test_util.h"

namespace cohort::models::artifacts {
namespace {

ModelManifest Manifest(const std::string& model) {
  ModelManifest m;
  m.set_model(model);
  m.set_kind("propensity");
  m.add_features("recency_days");
  (*m.mutable_metrics())["auc"] = 0.81;
  return m;
}

TEST(ArtifactStoreTest, WritesNumberedVersionsAndLoadsThemVerified) {
  cohort::testing::TempDir dir;
  auto v1 = WriteVersion(dir.path(), Manifest("churn"), {{"model.bin", "abc"}});
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->version(), 1u);
  auto v2 = WriteVersion(dir.path(), Manifest("churn"), {{"model.bin", "abcd"}});
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->version(), 2u);
  EXPECT_EQ(ListVersions(dir.path(), "churn"), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ListModels(dir.path()), (std::vector<std::string>{"churn"}));

  auto loaded = LoadVersion(dir.path(), "churn", 2);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->files.at("model.bin"), "abcd");
  EXPECT_EQ(loaded->manifest.features(0), "recency_days");
  EXPECT_DOUBLE_EQ(loaded->manifest.metrics().at("auc"), 0.81);
  EXPECT_EQ(loaded->manifest.files(0).xxh64(), ChecksumHex("abcd"));

  auto again = Manifest("churn");
  again.set_version(2);
  EXPECT_EQ(WriteVersion(dir.path(), again, {}).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(ArtifactStoreTest, RefusesCorruptAndMissingFiles) {
  cohort::testing::TempDir dir;
  ASSERT_TRUE(WriteVersion(dir.path(), Manifest("seg"), {{"model.bin", "payload"}}).ok());
  {
    std::ofstream out(std::filesystem::path(dir.path()) / "seg/1/model.bin", std::ios::trunc);
    out << "paylOad";
  }
  auto corrupt = LoadVersion(dir.path(), "seg", 1);
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(corrupt.status().message().find("checksum"), std::string::npos);
  std::filesystem::remove(std::filesystem::path(dir.path()) / "seg/1/model.bin");
  EXPECT_EQ(LoadVersion(dir.path(), "seg", 1).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(LoadVersion(dir.path(), "seg", 7).status().code(), absl::StatusCode::kNotFound);
  {
    std::ofstream out(std::filesystem::path(dir.path()) / "seg/1/manifest.json", std::ios::trunc);
    out << "{not json";
  }
  EXPECT_EQ(LoadVersion(dir.path(), "seg", 1).status().code(), absl::StatusCode::kDataLoss);
}

TEST(ArtifactStoreTest, RejectsPathLikeNames) {
  cohort::testing::TempDir dir;
  EXPECT_EQ(WriteVersion(dir.path(), Manifest("../x"), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteVersion(dir.path(), Manifest("ok"), {{"a/b", "x"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ListModels(dir.path()).empty());
}

}  // namespace
}  // namespace cohort::models::artifacts
