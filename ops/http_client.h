// Forwarding header: HttpClient moved to client/ (library vault_client).
// Kept so the HTTP tests' `ops::HttpClient` keeps compiling; new code
// includes "client/http_client.h".
#ifndef VAULT_OPS_HTTP_CLIENT_H_
#define VAULT_OPS_HTTP_CLIENT_H_

#include "client/http_client.h"

namespace vault::ops {
using client::HttpClient;
using client::HttpResult;
using client::TlsClientOptions;
}  // namespace vault::ops

#endif  // VAULT_OPS_HTTP_CLIENT_H_
