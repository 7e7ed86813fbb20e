// Route handler for a subject's signed access report (#17).
// Thread-safety: stateless; see api/internal/routes.h.
#include "api/internal/routes.h"
#include "api/wire.h"
#include "base/strings.h"

namespace vault::api::internal {
namespace {

absl::Status ParseTimeParam(const Call& call, const char* key, std::optional<absl::Time>* out) {
  const std::string value = call.QueryValue(key);
  if (value.empty()) return absl::OkStatus();
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
    return absl::InvalidArgumentError(Cat(key, ": not an RFC 3339 time"));
  }
  *out = t;
  return absl::OkStatus();
}

v1::AccessReportResponse AccessReportView(const AccessReport& r) {
  v1::AccessReportResponse out;
  out.set_tenant(r.tenant);
  out.set_subject(r.subject);
  out.set_residency(r.residency);
  out.set_since(r.since);
  out.set_until(r.until);
  out.set_generated_at(r.generated_at);
  for (const AccessReportEntry& e : r.entries) {
    v1::AccessReportEntryView* v = out.add_entries();
    v->set_seq(static_cast<double>(e.seq));
    v->set_time(e.time);
    v->set_principal(e.principal);
    v->set_action(e.action);
    v->set_subject_ref(e.subject_ref);
    for (const std::string& t : e.types) v->add_types(t);
    v->set_purpose(e.purpose);
    v->set_outcome(e.outcome);
    v->set_reason(e.reason);
    v->set_request_id(e.request_id);
    v->set_hash(e.hash);
  }
  out.set_signature(r.signature);
  out.set_public_key(r.public_key);
  return out;
}

}  // namespace

HttpResponse HandleAccessReport(Call& call) {
  std::optional<absl::Time> since, until;
  if (absl::Status s = ParseTimeParam(call, "since", &since); !s.ok()) return call.Error(s);
  if (absl::Status s = ParseTimeParam(call, "until", &until); !s.ok()) return call.Error(s);
  absl::StatusOr<AccessReport> report = call.access().ReportAccess(
      *call.ctx, call.Param("tenant"), call.Param("subject"), since, until);
  if (!report.ok()) return call.Error(report.status());
  return call.Reply(AccessReportView(*report));
}

}  // namespace vault::api::internal
