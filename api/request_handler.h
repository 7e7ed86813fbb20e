// RequestHandler: the whole HTTP API as a function from a parsed request to
// a response (../shared/API.md), tested without sockets. Routing, JSON and
// binary protobuf decoding (unknown fields rejected), authentication by
// bearer API key, X-Purpose and X-Request-Id, and the mapping of statuses to
// HTTP errors in one place (status_http.h). Every data call goes through
// vault::DataAccess (authorization and audit).
// Thread-safety: Handle may be called from many threads at once.
// Never logs or echoes values, tokens or API keys (errors carry fixed texts).
#ifndef VAULT_API_REQUEST_HANDLER_H_
#define VAULT_API_REQUEST_HANDLER_H_

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/http_types.h"
#include "api/metrics.h"
#include "vault/vault.h"

namespace vault::api {

namespace internal {
struct Call;  // api/internal/routes.h
}  // namespace internal

struct HandlerOptions {
  std::string version = "0.1.0";
  // Where POST /v1/sys/backups writes (a folder per backup); empty = off.
  std::string backup_dir;
  // Health's "storage" ("rocksdb" or "postgres") and "node_id".
  std::string storage = "rocksdb";
  std::string node_id;
};

class RequestHandler {
 public:
  RequestHandler(Vault* vault, Metrics* metrics, HandlerOptions options = {})
      : vault_(vault), metrics_(metrics), options_(std::move(options)) {}

  HttpResponse Handle(const HttpRequest& request);

  // Whether the server should handle this request on the thread that read
  // it: routes that never hold a lock across a durable write (their waits
  // park, base/parking.h) and never run long. The raw (undecoded) path.
  static bool RunsOnIoThread(std::string_view method, std::string_view path);

 private:
  // Routes the call through the route table (request_handler.cc).
  HttpResponse Dispatch(internal::Call& call);

  Vault* vault_;
  Metrics* metrics_;
  HandlerOptions options_;
};

// A response with {"error": {...}} for `status` (used by the socket layer
// too, e.g. for 413 before a request is fully read).
HttpResponse MakeErrorResponse(int http_status, std::string_view code, std::string_view message,
                               std::string_view request_id);

}  // namespace vault::api

#endif  // VAULT_API_REQUEST_HANDLER_H_
