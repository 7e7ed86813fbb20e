// VaultClient: vaultctl's view of a vaultd server: the address and API key,
// JSON in and out through the protobuf JSON mapping, and the server's error
// answers turned into one-line statuses.
// Thread-safety: one client per thread.
#ifndef VAULT_OPS_CLIENT_H_
#define VAULT_OPS_CLIENT_H_

#include <google/protobuf/message.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ops/http_client.h"

namespace vault::ops {

struct ClientOptions {
  std::string addr = "http://127.0.0.1:8200";  // http://HOST:PORT or https://HOST:PORT
  std::string api_key;
  std::string ca_file;      // https: trust this CA (default: the system's)
  std::string client_cert;  // https: present this certificate (mTLS)
  std::string client_key;
  std::chrono::milliseconds timeout{30000};
};

// Splits "http://host:port" / "https://[::1]:port"; INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::Status ParseAddress(std::string_view addr, bool* tls, std::string* host,
                                        int* port);

class VaultClient {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<VaultClient>> Create(ClientOptions options);

  // Sends `in` as JSON (no body when null), and on a 2xx answer parses the
  // body into `out` (when not null). UNAVAILABLE when the server cannot be
  // reached; otherwise the server's error code and message, with the HTTP
  // status and request id.
  [[nodiscard]] absl::Status Call(const std::string& method, const std::string& path,
                                  const google::protobuf::Message* in,
                                  google::protobuf::Message* out,
                                  const std::map<std::string, std::string>& headers = {});
  // The same with a raw body; returns the raw answer body.
  [[nodiscard]] absl::StatusOr<std::string> CallRaw(
      const std::string& method, const std::string& path, const std::string& body,
      const std::map<std::string, std::string>& headers = {},
      std::map<std::string, std::string>* response_headers = nullptr);

  // The answer as it came (any status); UNAVAILABLE when unreachable.
  [[nodiscard]] absl::StatusOr<HttpResult> Send(const std::string& method, const std::string& path);

  // The last successful answer's body (for --json output).
  const std::string& last_body() const { return last_body_; }

 private:
  VaultClient(ClientOptions options, std::unique_ptr<HttpClient> http)
      : options_(std::move(options)), http_(std::move(http)) {}

  ClientOptions options_;
  std::unique_ptr<HttpClient> http_;
  std::string last_body_;
};

// Protobuf JSON helpers (snake_case out, unknown fields rejected in).
[[nodiscard]] absl::Status ParseJson(std::string_view json, google::protobuf::Message* out);
std::string ToJson(const google::protobuf::Message& message);

}  // namespace vault::ops

#endif  // VAULT_OPS_CLIENT_H_
