#include "services/common/shard_map.h"

#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cohort/v1/shard_map.pb.h"
#include "common/hash.h"
#include "common/status_macros.h"

namespace cohort {
namespace {

constexpr uint32_t kUnowned = std::numeric_limits<uint32_t>::max();

// OK if `address` is "host:port" (host non-empty, may be a bracketed IPv6 literal; port
// 1..65535). The message names what is wrong.
absl::Status CheckAddress(absl::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\" is not host:port (no port)"));
  }
  absl::string_view host = address.substr(0, colon);
  absl::string_view port = address.substr(colon + 1);
  if (host.empty() || host == "[]") {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\" is not host:port (empty host)"));
  }
  if (host.front() != '[' && host.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address \"", address, "\" is not host:port (write IPv6 hosts as [addr]:port)"));
  }
  for (char c : host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\" is not host:port (whitespace in host)"));
    }
  }
  uint32_t port_number = 0;
  bool digits = !port.empty();
  for (char c : port) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!digits || !absl::SimpleAtoi(port, &port_number) || port_number == 0 || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address \"", address, "\" is not host:port (port must be a number in 1..65535)"));
  }
  return absl::OkStatus();
}

std::string RunText(uint32_t begin, uint32_t last) {
  if (begin == last) return absl::StrCat("partition ", begin, " is");
  return absl::StrCat("partitions ", begin, "..", last, " are");
}

}  // namespace

absl::StatusOr<ShardMap> ShardMap::Parse(absl::string_view json, absl::string_view origin) {
  auto fail = [&](absl::string_view problem) {
    return absl::InvalidArgumentError(absl::StrCat("shard map ", origin, ": ", problem));
  };
  cohort::v1::ShardMap proto;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &proto, options);
  if (!parsed.ok()) {
    return fail(absl::StrCat("not valid shard-map JSON: ", parsed.message().as_string()));
  }

  ShardMap map;
  if (proto.epoch() < 1) return fail("epoch must be >= 1");
  map.epoch_ = proto.epoch();
  map.partitions_ = proto.partitions() == 0 ? kDefaultPartitions : proto.partitions();
  if (map.partitions_ > kMaxPartitions) {
    return fail(
        absl::StrCat("partitions is ", map.partitions_, "; it must be in 1..", kMaxPartitions));
  }
  if (proto.nodes().empty()) return fail("no nodes");

  absl::flat_hash_set<std::string> ids;
  map.owner_.assign(map.partitions_, kUnowned);
  for (int i = 0; i < proto.nodes_size(); ++i) {
    const cohort::v1::ShardMapNode& node = proto.nodes(i);
    if (node.id().empty()) return fail(absl::StrCat("node ", i, " has an empty id"));
    if (!ids.insert(node.id()).second) {
      return fail(absl::StrCat("node id ", node.id(), " appears more than once"));
    }
    absl::Status address = CheckAddress(node.address());
    if (!address.ok()) {
      return fail(absl::StrCat("node ", node.id(), ": ", address.message()));
    }
    NodeSpec spec;
    spec.id = node.id();
    spec.address = node.address();
    for (const cohort::v1::ShardMapRange& range : node.ranges()) {
      if (range.begin() >= range.end() || range.end() > map.partitions_) {
        return fail(absl::StrCat("node ", node.id(), ": range [", range.begin(), ", ", range.end(),
                                 ") is invalid; need begin < end <= partitions (", map.partitions_,
                                 ")"));
      }
      for (uint32_t p = range.begin(); p < range.end(); ++p) {
        if (map.owner_[p] != kUnowned) {
          return fail(absl::StrCat("partition ", p, " is owned by both ",
                                   proto.nodes(static_cast<int>(map.owner_[p])).id(), " and ",
                                   node.id()));
        }
        map.owner_[p] = static_cast<uint32_t>(i);
      }
      spec.ranges.push_back({range.begin(), range.end()});
    }
    map.nodes_.push_back(std::move(spec));
  }

  // Report the first run of unowned partitions, and how many there are in all.
  uint32_t missing = 0;
  uint32_t run_begin = kUnowned;
  uint32_t run_last = 0;
  for (uint32_t p = 0; p < map.partitions_; ++p) {
    if (map.owner_[p] != kUnowned) continue;
    ++missing;
    if (run_begin == kUnowned) {
      run_begin = run_last = p;
    } else if (run_last + 1 == p && run_last - run_begin + 1 == missing - 1) {
      run_last = p;  // still extending the first run
    }
  }
  if (missing > 0) {
    uint32_t run_size = run_last - run_begin + 1;
    std::string text = absl::StrCat(RunText(run_begin, run_last), " owned by no node");
    if (missing > run_size) {
      absl::StrAppend(&text, " (", missing, " unowned partitions in all)");
    }
    return fail(text);
  }
  return map;
}

absl::StatusOr<ShardMap> ShardMap::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("shard map ", path, ": cannot be read"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::NotFoundError(absl::StrCat("shard map ", path, ": read error"));
  }
  return Parse(text.str(), path);
}

ShardMap ShardMap::Uniform(uint64_t epoch, uint32_t partitions,
                           const std::vector<std::pair<std::string, std::string>>& nodes) {
  ShardMap map;
  map.epoch_ = epoch;
  map.partitions_ = partitions;
  map.owner_.assign(partitions, 0);
  const uint64_t n = nodes.size();
  for (uint64_t i = 0; i < n; ++i) {
    NodeSpec spec;
    spec.id = nodes[i].first;
    spec.address = nodes[i].second;
    uint32_t begin = static_cast<uint32_t>(partitions * i / n);
    uint32_t end = static_cast<uint32_t>(partitions * (i + 1) / n);
    if (begin < end) spec.ranges.push_back({begin, end});
    for (uint32_t p = begin; p < end; ++p) map.owner_[p] = static_cast<uint32_t>(i);
    map.nodes_.push_back(std::move(spec));
  }
  return map;
}

std::string ShardMap::ToJson() const {
  cohort::v1::ShardMap proto;
  proto.set_epoch(epoch_);
  proto.set_partitions(partitions_);
  for (const NodeSpec& node : nodes_) {
    cohort::v1::ShardMapNode* out = proto.add_nodes();
    out->set_id(node.id);
    out->set_address(node.address);
    for (const PartitionRangeSpec& range : node.ranges) {
      cohort::v1::ShardMapRange* r = out->add_ranges();
      r->set_begin(range.begin);
      r->set_end(range.end);
    }
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Cannot fail: the message has no Any fields or maps.
  (void)google::protobuf::util::MessageToJsonString(proto, &json, options);
  // The JSON mapping quotes 64-bit integers; print the epoch (the first field) as a plain
  // number, as people and scripts write it. Parse accepts both forms.
  const std::string quoted = absl::StrCat("\"epoch\": \"", epoch_, "\"");
  if (size_t at = json.find(quoted); at != std::string::npos && at < 8) {
    json.replace(at, quoted.size(), absl::StrCat("\"epoch\": ", epoch_));
  }
  return json;
}

const NodeSpec* ShardMap::FindNode(absl::string_view id) const {
  for (const NodeSpec& node : nodes_) {
    if (node.id == id) return &node;
  }
  return nullptr;
}

}  // namespace cohort
