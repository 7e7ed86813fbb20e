// DataAccess: holds, erasure, retention, shred epochs and their jobs.
#include <set>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/data_access.h"
#include "vault/model/record_keys.h"

namespace vault {

absl::StatusOr<records::HoldRecord> DataAccess::PutHold(const RequestContext& ctx,
                                                        std::string_view tenant,
                                                        std::string_view subject,
                                                        std::string_view hold_id,
                                                        std::string_view reason) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kHold, subject));
  return options_.lifecycle->PutHold(tenant, subject, hold_id, reason,
                                     Allowed(ctx, tenant, Action::kHold, subject, "hold placed"));
}

absl::Status DataAccess::ReleaseHold(const RequestContext& ctx, std::string_view tenant,
                                     std::string_view subject, std::string_view hold_id) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kHold, subject));
  return options_.lifecycle->ReleaseHold(
      tenant, subject, hold_id, Allowed(ctx, tenant, Action::kHold, subject, "hold released"));
}

absl::StatusOr<records::ErasureRecord> DataAccess::RequestErasure(const RequestContext& ctx,
                                                                  std::string_view tenant,
                                                                  std::string_view subject,
                                                                  absl::Duration grace) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kErase, subject));
  return options_.lifecycle->RequestErasure(
      tenant, subject, grace, ctx.principal.id,
      Allowed(ctx, tenant, Action::kErase, subject,
              grace == absl::ZeroDuration() ? "erased" : "erasure requested"));
}

absl::StatusOr<records::ErasureRecord> DataAccess::CancelErasure(const RequestContext& ctx,
                                                                 std::string_view tenant,
                                                                 std::string_view subject) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kErase, subject));
  return options_.lifecycle->CancelErasure(
      tenant, subject, Allowed(ctx, tenant, Action::kErase, subject, "erasure cancelled"));
}

absl::StatusOr<records::ErasureRecord> DataAccess::GetErasure(const RequestContext& ctx,
                                                              std::string_view tenant,
                                                              std::string_view erasure_id) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kErase));
  ASSIGN_OR_RETURN(records::ErasureRecord erasure,
                   options_.lifecycle->GetErasure(tenant, erasure_id));
  RETURN_IF_ERROR(AddFinalAt(*options_.keys, erasure.mutable_receipt()));
  return erasure;
}

absl::StatusOr<std::vector<records::RetainedRecord>> DataAccess::RetainedOf(
    const RequestContext& ctx, const records::ErasureRecord& erasure) {
  RETURN_IF_ERROR(Check(ctx, erasure.tenant(), Action::kErase));
  if (erasure.subject().empty()) return std::vector<records::RetainedRecord>();
  absl::StatusOr<std::vector<records::RetainedRecord>> all =
      options_.lifecycle->ListRetained(erasure.tenant(), erasure.subject());
  if (!all.ok()) return all.status();
  std::vector<records::RetainedRecord> out;
  for (records::RetainedRecord& r : *all) {
    if (r.erasure_id() == erasure.erasure_id()) out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<records::RetentionClassRecord> DataAccess::PutRetentionClass(
    const RequestContext& ctx, std::string_view tenant, std::string_view name, int64_t days) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.lifecycle->PutRetentionClass(
      tenant, name, days, Allowed(ctx, tenant, Action::kAdmin, "", "retention class saved"));
}

absl::StatusOr<std::vector<records::RetentionClassRecord>> DataAccess::ListRetentionClasses(
    const RequestContext& ctx, std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());
  return options_.lifecycle->ListRetentionClasses(tenant);
}

absl::StatusOr<uint64_t> DataAccess::CloseEpoch(const RequestContext& ctx,
                                                std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kKeys));
  RETURN_IF_ERROR(Log(ctx, tenant, Action::kKeys, "", "shred epoch close requested"));
  return options_.lifecycle->CloseEpoch(tenant);
}

absl::StatusOr<records::ErasureReceipt> DataAccess::EraseTenant(const RequestContext& ctx,
                                                                std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(CheckOperator(ctx, tenant, Action::kAdmin, "erase a tenant"));
  return options_.lifecycle->EraseTenant(
      tenant, Allowed(ctx, tenant, Action::kErase, "", "tenant erasure requested"));
}

absl::StatusOr<records::RewrapJob> DataAccess::StartRewrap(const RequestContext& ctx,
                                                           std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kKeys));
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());
  RETURN_IF_ERROR(Log(ctx, tenant, Action::kKeys, "", "shred epoch job started"));
  return options_.jobs->Start(tenant);
}

absl::StatusOr<records::RewrapJob> DataAccess::GetJob(const RequestContext& ctx,
                                                      std::string_view job_id) {
  absl::StatusOr<records::RewrapJob> job = options_.jobs->Get(job_id);
  if (!job.ok()) return job.status();
  if (!ctx.principal.is_operator && ctx.principal.tenant != job->tenant()) {
    return absl::NotFoundError("unknown job");
  }
  return job;
}

}  // namespace vault
