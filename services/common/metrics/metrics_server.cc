#include "services/common/metrics/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"

namespace cohort::metrics {
namespace {

constexpr size_t kHttpThreads = 2;  // scrapes are rare; one spare for a slow client

// Checks "ip:port" and returns the host part (CivetWeb parses the address itself).
absl::StatusOr<std::string> HostOf(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics listen address '", listen,
        "' is not ip:port (e.g. 127.0.0.1:9100 or 0.0.0.0:9100; port 0 binds a free port)"));
  }
  return listen.substr(0, colon);
}

// Connects to (and at once disconnects from) host:port. CivetWeb's listener thread checks
// for shutdown only between polls of up to 2 s; a connection ends the poll at once.
void Poke(const std::string& host, int port) {
  std::string ip = host;
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    if (v4->sin_addr.s_addr == htonl(INADDR_ANY)) v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    if (IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)) v6->sin6_addr = in6addr_loopback;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in6);
  } else {
    return;  // not an IP literal: the shutdown just takes up to one poll longer
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::connect(fd, reinterpret_cast<const sockaddr*>(&address), length);
  ::close(fd);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, std::vector<std::shared_ptr<prometheus::Collectable>> collectables) {
  absl::StatusOr<std::string> host = HostOf(listen);
  if (!host.ok()) return host.status();
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->collectables_ = std::move(collectables);
  try {
    // CivetWeb throws when it cannot bind (or parse) the address.
    server->exposer_ = std::make_unique<prometheus::Exposer>(listen, kHttpThreads);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen,
                                               ": the address is invalid or already in use (",
                                               e.what(), ")"));
  }
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", listen, ": no port was bound"));
  }
  server->port_ = ports.front();
  server->host_ = *host;
  server->address_ = absl::StrCat(*host, ":", server->port_);
  for (const std::shared_ptr<prometheus::Collectable>& c : server->collectables_) {
    server->exposer_->RegisterCollectable(c);
  }
  return server;
}

MetricsServer::~MetricsServer() {
  if (exposer_ == nullptr) return;
  std::atomic<bool> stopped = false;
  std::thread stopper([this, &stopped] {
    exposer_.reset();  // joins CivetWeb's threads, scrapes in progress included
    stopped = true;
  });
  while (!stopped) {
    Poke(host_, port_);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stopper.join();
}

}  // namespace cohort::metrics
