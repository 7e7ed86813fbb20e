// A small blocking HTTP/1.1 client (Beast) for vaultctl and the integration
// tests, over plain TCP or TLS (verifying the server against a CA file, or
// the system's CAs; optionally presenting a client certificate). Every
// connect, write and read has a deadline.
// Thread-safety: one client per thread.
#ifndef VAULT_CLIENT_HTTP_CLIENT_H_
#define VAULT_CLIENT_HTTP_CLIENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace vault::client {

struct HttpResult {
  int status = 0;     // 0 = the connection failed or was closed (see error)
  std::string error;  // why, when status is 0
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};

struct TlsClientOptions {
  std::string ca_file;    // trust this CA; empty = the system's default CAs
  std::string cert_file;  // client certificate, optional
  std::string key_file;
};

class HttpClient {
 public:
  // Plain HTTP when `tls` is null. Keeps one connection open across calls.
  HttpClient(std::string host, int port, const TlsClientOptions* tls = nullptr);
  // Deadline of each connect, and of each request's write and read.
  void set_timeout(std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vault::client

#endif  // VAULT_CLIENT_HTTP_CLIENT_H_
