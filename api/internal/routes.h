// Internal to vaultd's RequestHandler: the context of one request (Call), the
// route table's entry type and every route handler, one file per resource
// (routes_sys.cc, routes_tenants.cc, routes_tokens.cc, routes_subjects.cc).
// Thread-safety: a Call belongs to one request on one thread; handlers keep
// no state of their own. Never log or echo values, tokens or API keys.
#ifndef VAULT_API_INTERNAL_ROUTES_H_
#define VAULT_API_INTERNAL_ROUTES_H_

#include <google/protobuf/message.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "api/api.pb.h"
#include "api/http_types.h"
#include "api/metrics.h"
#include "api/request_handler.h"
#include "vault/data_access.h"
#include "vault/vault.h"

namespace vault::api::internal {

// One request being handled.
struct Call {
  explicit Call(const HttpRequest& request) : req(request) {}

  const HttpRequest& req;
  std::vector<std::string> seg;              // percent-decoded path segments
  std::map<std::string, std::string> query;  // percent-decoded query
  std::string request_id;
  bool binary_in = false;
  bool binary_out = false;
  std::string route = "unknown";  // metric label: a route template or "unknown"/"authenticate"
  std::string principal_id;

  // Set before a handler runs.
  Vault* vault = nullptr;
  Metrics* metrics = nullptr;  // may be null
  const HandlerOptions* handler_options = nullptr;
  // The values of the path template's {placeholders}, in path order.
  std::vector<std::pair<std::string_view, std::string>> params;
  // Set once the caller is authenticated (every route but the public ones).
  std::optional<RequestContext> ctx;

  // The value of `{name}` in the matched path template.
  // REQUIRES: the template has that placeholder.
  const std::string& Param(std::string_view name) const;
  // The query parameter `key`, empty when absent.
  std::string QueryValue(std::string_view key) const;
  DataAccess& access() const { return vault->access(); }

  HttpResponse Reply(const google::protobuf::Message& message, int status = 200);
  HttpResponse NoContent();
  HttpResponse Error(const absl::Status& status);
  // Parses the body (empty = {}); unknown fields are rejected.
  absl::Status Parse(google::protobuf::Message* message);
};

using RouteHandler = HttpResponse (*)(Call& call);

// A path template is matched segment by segment after percent-decoding:
// "{name}" matches any one segment (also an empty one), anything else only
// itself. `route` (the metric label) is the template itself.
struct Route {
  std::string_view method;
  std::string_view path;
  RouteHandler handler;
};

// ---- routes_sys.cc: public system calls (no API key).
HttpResponse HandleMetrics(Call& call);
HttpResponse HandleHealth(Call& call);
HttpResponse HandleInit(Call& call);
HttpResponse HandleUnseal(Call& call);
HttpResponse HandleReceiptKey(Call& call);
// ---- routes_sys.cc: authenticated system calls.
HttpResponse HandleSeal(Call& call);
HttpResponse HandleAuditVerify(Call& call);
HttpResponse HandleRotateRoot(Call& call);
HttpResponse HandleCreateBackup(Call& call);
HttpResponse HandleAuditExport(Call& call);
HttpResponse HandleShredLedger(Call& call);
HttpResponse HandleGetJob(Call& call);
// ---- routes_sys.cc: rekey (public: the shares are the credential) and
// root API key rotation (authenticated).
HttpResponse HandleRekey(Call& call);
HttpResponse HandleCancelRekey(Call& call);
HttpResponse HandleRotateRootApiKey(Call& call);

// ---- routes_tenants.cc
HttpResponse HandleCreateTenant(Call& call);
HttpResponse HandleGetTenant(Call& call);
HttpResponse HandleEraseTenant(Call& call);
HttpResponse HandleListRoles(Call& call);
HttpResponse HandlePutRole(Call& call);
HttpResponse HandleCreatePrincipal(Call& call);
HttpResponse HandleDeletePrincipal(Call& call);
HttpResponse HandleListPrincipals(Call& call);  // console/#18
HttpResponse HandleListRetentionClasses(Call& call);
HttpResponse HandlePutRetentionClass(Call& call);
HttpResponse HandleListKeys(Call& call);
HttpResponse HandleRotateKey(Call& call);
HttpResponse HandleRewrapKeys(Call& call);

// ---- routes_tokens.cc
HttpResponse HandleTokenize(Call& call);
HttpResponse HandleDetokenize(Call& call);
HttpResponse HandleRevokeToken(Call& call);

// ---- routes_subjects.cc
HttpResponse HandleSearchSubjects(Call& call);
HttpResponse HandlePutSubject(Call& call);
HttpResponse HandleReadSubject(Call& call);
HttpResponse HandleDeleteField(Call& call);
HttpResponse HandleRequestErasure(Call& call);
HttpResponse HandleCancelErasure(Call& call);
HttpResponse HandlePutHold(Call& call);
HttpResponse HandleReleaseHold(Call& call);
HttpResponse HandleExportSubject(Call& call);
HttpResponse HandleGetErasure(Call& call);
HttpResponse HandleQueryAudit(Call& call);
HttpResponse HandleAccessReport(Call& call);  // routes_reports.cc

// ---- routes_consent.cc (#17 item 1): a subject's consent.
HttpResponse HandleGetConsent(Call& call);
HttpResponse HandlePutConsent(Call& call);
// The API view of a consent (also an export's consent and its history).
v1::Consent ConsentView(const Consent& consent);

// ---- routes_processors.cc: a tenant's processors (#17 item 4).
HttpResponse HandlePutProcessor(Call& call);
HttpResponse HandleGetProcessor(Call& call);
HttpResponse HandleDeleteProcessor(Call& call);
HttpResponse HandleListProcessors(Call& call);

// ---- routes_ui.cc: the web console's static files (public).
// GET /ui/<file> ("" = index.html), 404 for a file the console does not have.
HttpResponse HandleConsoleFile(Call& call);
// GET /ui: 308 to /ui/.
HttpResponse HandleConsoleRedirect(Call& call);

}  // namespace vault::api::internal

#endif  // VAULT_API_INTERNAL_ROUTES_H_
