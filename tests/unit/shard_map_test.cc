#include "services/common/shard_map.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace cohort {
namespace {

using ::cohort::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kThreeNodes[] = R"({"epoch": 3, "partitions": 16, "nodes": [
  {"id": "store-0", "address": "127.0.0.1:7100", "ranges": [{"begin": 0, "end": 5}]},
  {"id": "store-1", "address": "localhost:7101", "ranges": [{"begin": 5, "end": 8},
                                                            {"begin": 12, "end": 16}]},
  {"id": "store-2", "address": "[::1]:7102", "ranges": [{"begin": 8, "end": 12}]}]})";

// Parses `json` expecting INVALID_ARGUMENT; returns the message.
std::string ParseError(const std::string& json) {
  absl::StatusOr<ShardMap> map = ShardMap::Parse(json, "/x.json");
  EXPECT_FALSE(map.ok()) << json;
  if (map.ok()) return "";
  EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument) << map.status();
  EXPECT_THAT(std::string(map.status().message()), HasSubstr("shard map /x.json: "));
  return std::string(map.status().message());
}

std::string OneNode(const std::string& node_fields, const std::string& top = "\"epoch\": 1") {
  return absl::StrCat("{", top, ", \"partitions\": 4, \"nodes\": [{", node_fields, "}]}");
}

TEST(ShardMapTest, ParsesValidMap) {
  absl::StatusOr<ShardMap> map = ShardMap::Parse(kThreeNodes, "inline");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->epoch(), 3u);
  EXPECT_EQ(map->partitions(), 16u);
  ASSERT_EQ(map->nodes().size(), 3u);
  EXPECT_EQ(map->nodes()[1].id, "store-1");
  EXPECT_EQ(map->nodes()[1].address, "localhost:7101");
  ASSERT_EQ(map->nodes()[1].ranges.size(), 2u);
  EXPECT_EQ(map->nodes()[1].ranges[1].begin, 12u);
  EXPECT_EQ(map->nodes()[1].ranges[1].end, 16u);
  std::vector<size_t> want = {0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1};
  for (uint32_t p = 0; p < 16; ++p) EXPECT_EQ(map->OwnerOf(p), want[p]) << p;
  ASSERT_NE(map->FindNode("store-2"), nullptr);
  EXPECT_EQ(map->FindNode("store-2")->address, "[::1]:7102");
  EXPECT_EQ(map->FindNode("store-9"), nullptr);
}

TEST(ShardMapTest, AbsentPartitionsMeans1024AndEpochMayBeAString) {
  absl::StatusOr<ShardMap> map = ShardMap::Parse(
      R"({"epoch": "7", "nodes": [{"id": "a", "address": "h:1",
          "ranges": [{"begin": 0, "end": 1024}]}]})",
      "inline");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->partitions(), 1024u);
  EXPECT_EQ(map->epoch(), 7u);
}

TEST(ShardMapTest, RejectsBadJson) {
  EXPECT_THAT(ParseError("{not json"), HasSubstr("not valid shard-map JSON"));
  EXPECT_THAT(ParseError(R"({"epoch": 1, "shards": []})"), HasSubstr("not valid shard-map JSON"));
  EXPECT_THAT(ParseError(R"({"epoch": -1})"), HasSubstr("not valid shard-map JSON"));
}

TEST(ShardMapTest, RejectsBadEpochAndPartitions) {
  const std::string node = R"("id": "a", "address": "h:1", "ranges": [{"begin": 0, "end": 4}])";
  EXPECT_THAT(ParseError(OneNode(node, "\"epoch\": 0")), HasSubstr("epoch must be >= 1"));
  EXPECT_THAT(ParseError(OneNode(node, "\"tag\": 1")), HasSubstr("not valid shard-map JSON"));
  EXPECT_THAT(ParseError(R"({"partitions": 4, "nodes": [{"id": "a", "address": "h:1"}]})"),
              HasSubstr("epoch must be >= 1"));
  EXPECT_THAT(ParseError(R"({"epoch": 1, "partitions": 70000, "nodes": []})"),
              HasSubstr("partitions is 70000; it must be in 1..65536"));
  EXPECT_THAT(ParseError(R"({"epoch": 1, "partitions": 4, "nodes": []})"), HasSubstr("no nodes"));
}

TEST(ShardMapTest, RejectsBadNodes) {
  EXPECT_THAT(ParseError(R"({"epoch": 1, "partitions": 4, "nodes": [
        {"id": "a", "address": "h:1", "ranges": [{"begin": 0, "end": 2}]},
        {"id": "", "address": "h:2", "ranges": [{"begin": 2, "end": 4}]}]})"),
              HasSubstr("node 1 has an empty id"));
  EXPECT_THAT(ParseError(R"({"epoch": 1, "partitions": 4, "nodes": [
        {"id": "a", "address": "h:1", "ranges": [{"begin": 0, "end": 2}]},
        {"id": "a", "address": "h:2", "ranges": [{"begin": 2, "end": 4}]}]})"),
              HasSubstr("node id a appears more than once"));
  const char* bad_addresses[] = {"",           "host",    "host:",  ":80",     "host:0",
                                 "host:65536", "host:8x", "::1:80", "ho st:80"};
  for (const char* address : bad_addresses) {
    EXPECT_THAT(ParseError(OneNode(absl::StrCat(R"("id": "a", "address": ")", address,
                                                R"(", "ranges": [{"begin": 0, "end": 4}])"))),
                HasSubstr(absl::StrCat("node a: address \"", address, "\" is not host:port")));
  }
}

TEST(ShardMapTest, RejectsBadRanges) {
  EXPECT_THAT(ParseError(OneNode(R"("id": "a", "address": "h:1",
                                    "ranges": [{"begin": 2, "end": 2}, {"begin": 0, "end": 4}])")),
              HasSubstr("node a: range [2, 2) is invalid; need begin < end <= partitions (4)"));
  EXPECT_THAT(ParseError(OneNode(R"("id": "a", "address": "h:1",
                                    "ranges": [{"begin": 0, "end": 5}])")),
              HasSubstr("node a: range [0, 5) is invalid"));
}

TEST(ShardMapTest, RejectsDoubleOwnership) {
  EXPECT_THAT(ParseError(R"({"epoch": 1, "partitions": 32, "nodes": [
        {"id": "store-0", "address": "h:1", "ranges": [{"begin": 0, "end": 18}]},
        {"id": "store-1", "address": "h:2", "ranges": [{"begin": 18, "end": 20}]},
        {"id": "store-2", "address": "h:3", "ranges": [{"begin": 17, "end": 32}]}]})"),
              HasSubstr("shard map /x.json: partition 17 is owned by both store-0 and store-2"));
  EXPECT_THAT(ParseError(OneNode(R"("id": "a", "address": "h:1",
                                    "ranges": [{"begin": 0, "end": 4}, {"begin": 3, "end": 4}])")),
              HasSubstr("partition 3 is owned by both a and a"));
}

TEST(ShardMapTest, RejectsUnownedPartitions) {
  EXPECT_THAT(ParseError(R"({"epoch": 1, "partitions": 400, "nodes": [
        {"id": "a", "address": "h:1", "ranges": [{"begin": 0, "end": 300}]},
        {"id": "b", "address": "h:2", "ranges": [{"begin": 342, "end": 400}]}]})"),
              HasSubstr("shard map /x.json: partitions 300..341 are owned by no node"));
  EXPECT_THAT(ParseError(OneNode(R"("id": "a", "address": "h:1",
                                    "ranges": [{"begin": 1, "end": 3}])")),
              HasSubstr("partition 0 is owned by no node (2 unowned partitions in all)"));
  EXPECT_THAT(ParseError(OneNode(R"("id": "a", "address": "h:1")")),
              HasSubstr("partitions 0..3 are owned by no node"));
}

TEST(ShardMapTest, UniformCoversEveryPartitionExactlyOnce) {
  for (uint32_t partitions : {1u, 7u, 16u, 1024u, 65536u}) {
    for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{7}}) {
      if (n > partitions) continue;
      std::vector<std::pair<std::string, std::string>> nodes;
      for (size_t i = 0; i < n; ++i) {
        nodes.emplace_back(absl::StrCat("store-", i), absl::StrCat("127.0.0.1:", 7100 + i));
      }
      ShardMap uniform = ShardMap::Uniform(2, partitions, nodes);
      // Round-tripping through Parse re-runs every validation (exactly-once ownership).
      absl::StatusOr<ShardMap> parsed = ShardMap::Parse(uniform.ToJson(), "uniform");
      ASSERT_TRUE(parsed.ok()) << parsed.status() << " P=" << partitions << " n=" << n;
      std::vector<uint32_t> owned(n, 0);
      size_t previous = 0;
      for (uint32_t p = 0; p < partitions; ++p) {
        size_t owner = parsed->OwnerOf(p);
        EXPECT_EQ(owner, uniform.OwnerOf(p));
        EXPECT_GE(owner, previous) << "ranges are contiguous and in node order";
        previous = owner;
        ++owned[owner];
      }
      for (size_t i = 0; i < n; ++i) {
        EXPECT_GE(owned[i], partitions / n);
        EXPECT_LE(owned[i], partitions / n + 1);
        EXPECT_EQ(uniform.nodes()[i].ranges.size(), 1u);
      }
    }
  }
}

TEST(ShardMapTest, UniformMatchesTheLocalLauncherSplit) {
  ShardMap map = ShardMap::Uniform(1, 1024, {{"a", "h:1"}, {"b", "h:2"}, {"c", "h:3"}});
  EXPECT_EQ(map.nodes()[0].ranges[0].end, 341u);
  EXPECT_EQ(map.nodes()[1].ranges[0].begin, 341u);
  EXPECT_EQ(map.nodes()[1].ranges[0].end, 682u);
  EXPECT_EQ(map.nodes()[2].ranges[0].end, 1024u);
}

TEST(ShardMapTest, JsonRoundTrip) {
  absl::StatusOr<ShardMap> map = ShardMap::Parse(kThreeNodes, "inline");
  ASSERT_TRUE(map.ok()) << map.status();
  std::string json = map->ToJson();
  EXPECT_THAT(json, HasSubstr("\n"));             // pretty-printed
  EXPECT_THAT(json, HasSubstr("\"epoch\": 3,"));  // a plain number, as people write it
  absl::StatusOr<ShardMap> again = ShardMap::Parse(json, "round trip");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << json;
  EXPECT_EQ(again->epoch(), map->epoch());
  EXPECT_EQ(again->partitions(), map->partitions());
  ASSERT_EQ(again->nodes().size(), map->nodes().size());
  for (size_t i = 0; i < map->nodes().size(); ++i) {
    const NodeSpec& a = map->nodes()[i];
    const NodeSpec& b = again->nodes()[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.address, b.address);
    ASSERT_EQ(a.ranges.size(), b.ranges.size());
    for (size_t r = 0; r < a.ranges.size(); ++r) {
      EXPECT_EQ(a.ranges[r].begin, b.ranges[r].begin);
      EXPECT_EQ(a.ranges[r].end, b.ranges[r].end);
    }
  }
  EXPECT_EQ(again->ToJson(), json);
}

TEST(ShardMapTest, LoadFile) {
  TempDir dir("shard_map_test");
  std::string path = (dir / "map.json").string();
  {
    std::ofstream out(path);
    out << kThreeNodes;
  }
  absl::StatusOr<ShardMap> map = ShardMap::LoadFile(path);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->nodes().size(), 3u);

  {
    std::ofstream out(path);
    out << R"({"epoch": 1, "partitions": 4, "nodes": [{"id": "a", "address": "h:1"}]})";
  }
  map = ShardMap::LoadFile(path);
  ASSERT_FALSE(map.ok());
  EXPECT_THAT(std::string(map.status().message()),
              HasSubstr(absl::StrCat("shard map ", path, ": partitions 0..3")));

  absl::StatusOr<ShardMap> missing = ShardMap::LoadFile((dir / "absent.json").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("absent.json"));
}

}  // namespace
}  // namespace cohort
