// Plain HTTP request/response values passed between the socket layer
// (server.cc) and the request handler, so the handler is tested without
// sockets. Thread-safety: plain values.
#ifndef VAULT_API_HTTP_TYPES_H_
#define VAULT_API_HTTP_TYPES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vault::api {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // without the query string
  std::string query;                           // after '?', undecoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // For the access log and metrics: the route template, principal id and
  // request id. Never values, tokens or raw paths.
  std::string route;
  std::string principal;
  std::string request_id;
};

}  // namespace vault::api

#endif  // VAULT_API_HTTP_TYPES_H_
