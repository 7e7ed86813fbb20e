// A small blocking HTTP/1.1 client for the integration tests (Beast), over
// plain TCP or TLS (optionally presenting a client certificate).
// Thread-safety: one client per thread.
#ifndef VAULT_TESTS_API_HTTP_CLIENT_H_
#define VAULT_TESTS_API_HTTP_CLIENT_H_

#include <map>
#include <memory>
#include <string>

namespace vault::testing {

struct HttpResult {
  int status = 0;  // 0 = the connection failed or was closed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};

struct TlsClientOptions {
  std::string ca_file;           // trust this CA (the test's self-signed cert)
  std::string cert_file;         // client certificate, optional
  std::string key_file;
};

class HttpClient {
 public:
  // Plain HTTP when `tls` is null. Keeps one connection open across calls.
  HttpClient(std::string host, int port, const TlsClientOptions* tls = nullptr);
  ~HttpClient();
  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_API_HTTP_CLIENT_H_
