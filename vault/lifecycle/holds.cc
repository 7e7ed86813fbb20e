// SubjectLifecycle: legal holds (and the tenant/subject check the
// lifecycle's calls share).
#include "base/status.h"
#include "base/status_macros.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

absl::Status ValidateHoldId(std::string_view id) {
  if (id.empty() || id.size() > 64)
    return absl::InvalidArgumentError("hold id must be 1-64 characters");
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      return absl::InvalidArgumentError("hold id must be of A-Z a-z 0-9 . _ -");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SubjectLifecycle::CheckTenantAndSubject(std::string_view tenant,
                                                     std::string_view subject) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  if (options_.keys->sealed()) return SealedError();
  return options_.keys->GetTenant(tenant).status();
}

absl::StatusOr<bool> SubjectLifecycle::HasHold(std::string_view tenant, std::string_view subject) {
  bool any = false;
  absl::Status s = options_.kv->ScanPrefix(storage::Table::kLedger, HoldPrefix(tenant, subject),
                                           [&](std::string_view, std::string_view) {
                                             any = true;
                                             return false;
                                           });
  if (!s.ok()) return s;
  return any;
}

absl::StatusOr<records::HoldRecord> SubjectLifecycle::PutHold(
    std::string_view tenant, std::string_view subject, std::string_view hold_id,
    std::string_view reason, const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  RETURN_IF_ERROR(ValidateHoldId(hold_id));
  if (reason.size() > 1024) return absl::InvalidArgumentError("reason is too long");
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, subject);
  if (IsGone(dek.status())) {
    // An erased subject can still be held while fields of it are retained
    // (the hold then keeps them past their class's expiry).
    absl::StatusOr<std::vector<records::RetainedRecord>> retained = ListRetained(tenant, subject);
    if (!retained.ok()) return retained.status();
    bool any = false;
    for (const records::RetainedRecord& r : *retained) any = any || r.state() == "retained";
    if (any) dek = DataKeyHandle();
  }
  if (!dek.ok()) return dek.status();  // unknown: NOT_FOUND; erased: GONE
  records::HoldRecord hold;
  hold.set_hold_id(std::string(hold_id));
  hold.set_reason(std::string(reason));
  hold.set_created_at_unix_ms(absl::ToUnixMillis(options_.clock->Now()));
  hold.set_principal(audit.empty() ? "" : audit.front().principal);
  storage::WriteBatch batch;
  batch.Put(storage::Table::kLedger, HoldKey(tenant, subject, hold_id), hold.SerializeAsString());
  RETURN_IF_ERROR(options_.committer->Commit(batch, &audit));
  return hold;
}

absl::Status SubjectLifecycle::ReleaseHold(std::string_view tenant, std::string_view subject,
                                           std::string_view hold_id,
                                           const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  RETURN_IF_ERROR(ValidateHoldId(hold_id));
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  absl::StatusOr<std::string> existing =
      options_.kv->Get(storage::Table::kLedger, HoldKey(tenant, subject, hold_id));
  if (!existing.ok()) {
    if (absl::IsNotFound(existing.status())) return absl::NotFoundError("unknown hold");
    return existing.status();
  }
  storage::WriteBatch batch;
  batch.Delete(storage::Table::kLedger, HoldKey(tenant, subject, hold_id));
  return options_.committer->Commit(batch, &audit);
}

absl::StatusOr<std::vector<records::HoldRecord>> SubjectLifecycle::ListHolds(
    std::string_view tenant, std::string_view subject) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  std::vector<records::HoldRecord> out;
  absl::Status s =
      options_.kv->ScanPrefix(storage::Table::kLedger, HoldPrefix(tenant, subject),
                              [&](std::string_view, std::string_view value) {
                                records::HoldRecord h;
                                if (h.ParseFromArray(value.data(), static_cast<int>(value.size())))
                                  out.push_back(h);
                                return true;
                              });
  if (!s.ok()) return s;
  return out;
}

}  // namespace vault
