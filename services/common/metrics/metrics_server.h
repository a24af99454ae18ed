// MetricsServer: serves Prometheus metrics over HTTP (GET /metrics, text format 0.0.4) on
// one address, from the collectables it is given. Metric names: docs/metrics.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace cohort::metrics {

class MetricsServer {
 public:
  // Starts serving GET /metrics on `listen`, "ip:port" with a numeric IPv4 address (e.g.
  // "127.0.0.1:9100", or "0.0.0.0:9100" for every interface; Debian's CivetWeb is built
  // without IPv6); port 0 binds a free port. Each scrape concatenates what `collectables`
  // collect at that moment, in order; the server shares their ownership until it is
  // destroyed. Errors: INVALID_ARGUMENT for a malformed address, UNAVAILABLE if it cannot
  // be bound (e.g. in use). Both name the address.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen,
      std::vector<std::shared_ptr<prometheus::Collectable>> collectables);

  // Stops listening; returns once scrapes in progress have finished, so what the
  // collectables read may be destroyed afterwards.
  ~MetricsServer();

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port (the real one when `listen` asked for port 0).
  int port() const { return port_; }
  // "host:port" Prometheus can scrape: the listen host with the bound port.
  const std::string& address() const { return address_; }

 private:
  MetricsServer() = default;

  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  std::string host_;
  std::string address_;
};

}  // namespace cohort::metrics
