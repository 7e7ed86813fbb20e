// DataAccess: signed access reports (#17).
#include <algorithm>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/data_access.h"
#include "vault/model/record_keys.h"

namespace vault {

absl::StatusOr<AccessReport> DataAccess::ReportAccess(const RequestContext& ctx,
                                                      std::string_view tenant,
                                                      std::string_view subject,
                                                      std::optional<absl::Time> since,
                                                      std::optional<absl::Time> until) {
  RequestContext report_ctx = ctx;
  if (report_ctx.purpose.empty()) report_ctx.purpose = "subject_request";
  if (report_ctx.purpose != "subject_request") {
    RETURN_IF_ERROR(ValidatePurpose(report_ctx.purpose));
    return Deny(report_ctx, tenant, Action::kExport, subject, {},
                "an access report answers a subject request: purpose must be subject_request");
  }
  RETURN_IF_ERROR(Check(report_ctx, tenant, Action::kExport, subject));
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  absl::StatusOr<TenantInfo> info = options_.keys->GetTenant(tenant);
  if (!info.ok()) return info.status();
  absl::StatusOr<std::string> shredded =
      options_.kv->Get(storage::Table::kLedger, ShreddedKey(tenant, subject));
  if (shredded.ok()) return GoneError("the subject was erased");
  if (!absl::IsNotFound(shredded.status())) return shredded.status();
  if (since && until && *since > *until) {
    return absl::InvalidArgumentError("since: must not be after until");
  }
  // Logged first and durably: the report then lists this request too.
  RETURN_IF_ERROR(Log(report_ctx, tenant, Action::kExport, subject, "access report"));
  const absl::Time now = options_.clock->Now();
  // `until` is exclusive; an open or future one ends just after now.
  const absl::Time end =
      std::min(until.value_or(absl::InfiniteFuture()), now + absl::Milliseconds(1));

  AccessReport report;
  report.tenant = std::string(tenant);
  report.subject = std::string(subject);
  report.residency = info->residency;
  report.since = since ? Rfc3339Ms(absl::ToUnixMillis(*since)) : "";
  report.until = Rfc3339Ms(absl::ToUnixMillis(end));
  report.generated_at = Rfc3339Ms(absl::ToUnixMillis(now));
  AuditQuery q;
  q.tenant = std::string(tenant);
  q.subject = std::string(subject);
  q.since = since;
  q.until = end;
  q.limit = 1000;
  do {
    absl::StatusOr<AuditPage> page = options_.audit->Find(q);
    if (!page.ok()) return page.status();
    for (const records::AuditEntry& e : page->entries) {
      report.entries.push_back(AccessReportEntryOf(e));
    }
    q.after_seq = page->next_after_seq;
  } while (q.after_seq != 0);
  absl::StatusOr<std::string> message = AccessReportMessage(report);
  if (!message.ok()) return message.status();
  absl::StatusOr<std::string> signature = options_.keys->Sign(*message);
  if (!signature.ok()) return signature.status();
  absl::StatusOr<std::string> public_key = options_.keys->SigningPublicKey();
  if (!public_key.ok()) return public_key.status();
  report.signature = std::move(*signature);
  report.public_key = std::move(*public_key);
  return report;
}

}  // namespace vault
