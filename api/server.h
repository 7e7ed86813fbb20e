// Server: vaultd's HTTP/1.1 listener on Boost.Beast/Asio, optionally TLS
// (1.2/1.3, with optional required client certificates). One session per
// connection on its own strand. The hot routes (RequestHandler::
// RunsOnIoThread: tokenize, detokenize, subject read, health, metrics) are
// handled on the I/O thread that read them, in a fiber that parks while its
// durable write is committed (api/request_fiber.h); the others are handed to
// a pool of handler threads (they may hold locks across durable writes or
// run long) and their response is written back on the session's strand. Limits: body size, header
// size, a read deadline for the whole request (a client that trickles bytes is cut off), idle
// keep-alive timeout, connection count, requests in flight (429), and lingering after a 413/431
// (capped in time and bytes, in a separate, small count of connections). Shutdown stops accepting,
// lets in-flight requests finish within a deadline, then stops.
// Thread-safety: Start/Shutdown from one thread; sessions are internal.
#ifndef VAULT_API_SERVER_H_
#define VAULT_API_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "api/metrics.h"
#include "api/request_handler.h"

namespace vault::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8200;  // 0 = any free port
  int io_threads = 0;    // 0 = one per core
  // For the routes not handled on the I/O threads; 0 = 8 per core (they
  // block on durable writes, often under a subject's lock).
  int handler_threads = 0;
  size_t body_limit = 1 << 20;
  size_t header_limit = 16 << 10;
  std::chrono::milliseconds read_timeout{10000};  // whole request, headers and body
  std::chrono::milliseconds idle_timeout{30000};  // between requests on a kept-alive connection
  size_t max_connections = 1024;
  // After a 413 or 431 the session reads and discards what the client still
  // sends, so it receives the answer instead of a reset, but for at most
  // `linger_timeout` in all (no byte for 2 s also ends it) and at most
  // `linger_max_bytes`. A lingering connection leaves max_connections and
  // takes one of `max_lingering` slots; when those are full it is closed
  // right after its answer.
  std::chrono::milliseconds linger_timeout{5000};
  size_t linger_max_bytes = 64 << 10;
  size_t max_lingering = 64;
  // Requests being handled at once; more answer 429 RESOURCE_EXHAUSTED.
  int max_in_flight = 2048;
  std::string tls_cert_file;       // PEM; TLS when set
  std::string tls_key_file;        // PEM
  std::string tls_client_ca_file;  // PEM; clients must present a certificate it signed
  // Optional; must outlive the server. Gauges lingering_connections and
  // lingering_connections_limit, counters linger_skipped (closed at once,
  // linger slots full) and linger_capped (cut at the time or byte cap).
  Metrics* metrics = nullptr;
};

class Server {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options,
                                                                     RequestHandler* handler);
  ~Server();
  uint16_t port() const;
  // Stops accepting, waits up to `deadline` for in-flight requests, stops.
  void Shutdown(std::chrono::milliseconds deadline);

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vault::api

#endif  // VAULT_API_SERVER_H_
