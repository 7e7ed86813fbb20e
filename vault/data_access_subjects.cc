// DataAccess: subject writes, reads and exports.
#include <set>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/data_access.h"
#include "vault/internal/type_names.h"
#include "vault/model/record_keys.h"

namespace vault {

using internal::TypeNames;

absl::StatusOr<std::map<std::string, std::string>> DataAccess::PutSubject(
    const RequestContext& ctx, std::string_view tenant, std::string_view subject,
    const std::map<std::string, FieldInput>& fields) {
  std::set<DataType> types;
  for (const auto& [name, input] : fields) {
    absl::StatusOr<DataType> type = ParseDataType(input.type);
    if (type.ok()) types.insert(*type);
  }
  RETURN_IF_ERROR(Guard(ctx, tenant, Action::kWrite, std::nullopt, RevealLevel::kTokenOnly, subject,
                        TypeNames(types)));
  for (DataType t : types) {
    Decision d =
        Authorize(ctx.principal, {tenant, Action::kWrite, t, RevealLevel::kTokenOnly, ctx.purpose});
    if (!d.allowed) return Deny(ctx, tenant, Action::kWrite, subject, TypeNames(types), d.reason);
  }
  for (const auto& [name, input] : fields) {
    if (input.retention.empty()) continue;
    absl::Status known = options_.lifecycle->RetentionPeriod(tenant, input.retention).status();
    if (IsMissing(known)) {
      return absl::InvalidArgumentError(
          Cat("fields.", name, ": unknown retention class (see GET .../retention-classes)"));
    }
    if (!known.ok()) return known;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kWrite, subject, TypeNames(types), true, ""));
  std::optional<Decision> refused;
  std::set<DataType> stored_types;
  absl::StatusOr<std::map<std::string, std::string>> tokens =
      options_.subjects->PutFields(tenant, subject, fields, &events,
                                   ReplaceGuard(ctx, tenant, subject, &refused, &stored_types));
  if (refused.has_value()) {
    types.insert(stored_types.begin(), stored_types.end());
    return Deny(ctx, tenant, Action::kWrite, subject, TypeNames(types), refused->reason);
  }
  return tokens;
}

ReplaceCheck DataAccess::ReplaceGuard(const RequestContext& ctx, std::string_view tenant,
                                      std::string_view subject, std::optional<Decision>* refused,
                                      std::set<DataType>* stored_types) {
  // Replacing or deleting a stored field destroys its value: that needs
  // write on the stored type too, and no hold on the subject.
  return [this, &ctx, tenant, subject, refused,
          stored_types](const std::vector<StoredField>& replaced) -> absl::Status {
    if (replaced.empty()) return absl::OkStatus();
    for (const StoredField& f : replaced) {
      stored_types->insert(f.type);
      Decision d = Authorize(
          ctx.principal, {tenant, Action::kWrite, f.type, RevealLevel::kTokenOnly, ctx.purpose});
      if (!d.allowed) {
        *refused = d;
        return absl::PermissionDeniedError(std::string(d.reason));
      }
    }
    absl::StatusOr<bool> held = options_.lifecycle->HasHold(tenant, subject);
    if (!held.ok()) return held.status();
    if (*held) {
      return absl::FailedPreconditionError(
          Cat("fields.", replaced.front().name,
              ": the subject is under a legal hold; its fields "
              "cannot be replaced or deleted until every hold is released"));
    }
    return absl::OkStatus();
  };
}

absl::StatusOr<SubjectView> DataAccess::ReadSubject(const RequestContext& ctx,
                                                    std::string_view tenant,
                                                    std::string_view subject,
                                                    const std::vector<std::string>& names,
                                                    RevealLevel reveal) {
  RETURN_IF_ERROR(Guard(ctx, tenant, Action::kRead, std::nullopt, reveal, subject, {}));
  ASSIGN_OR_RETURN(ConsentRefusal refusal, ConsentFor(tenant, subject, ctx.purpose));
  if (refusal != ConsentRefusal::kNone) {
    return DenyConsent(ctx, tenant, Action::kRead, subject, refusal);
  }
  std::set<DataType> refused_types;
  auto visible = [&](DataType type) {
    bool ok = Authorize(ctx.principal, {tenant, Action::kRead, type, reveal, ctx.purpose}).allowed;
    if (!ok) refused_types.insert(type);
    return ok;
  };
  SubjectView view;
  absl::StatusOr<std::map<std::string, RevealedField>> fields =
      options_.subjects->ReadFields(tenant, subject, names, reveal, visible, &view.withheld);
  // An erased subject: fields under an unexpired retention class remain,
  // for purpose legal only (and only for roles granting it).
  if (IsGone(fields.status()) && ctx.purpose == "legal") {
    absl::StatusOr<std::map<std::string, RevealedField>> retained =
        options_.lifecycle->ReadRetained(tenant, subject, names, reveal, visible, &view.withheld);
    if (!retained.ok()) return retained.status();
    if (!retained->empty() || !view.withheld.empty()) fields = std::move(*retained);
  }
  if (!fields.ok()) return fields.status();
  view.fields = std::move(*fields);
  std::set<DataType> types = refused_types;
  for (const auto& [name, f] : view.fields) types.insert(f.type);
  const bool returned = !view.fields.empty();
  if (returned || !view.withheld.empty()) {
    std::vector<AuditEvent> events;
    events.push_back(Event(ctx, tenant, Action::kRead, subject, TypeNames(types), returned,
                           view.withheld.empty() ? "" : "some fields withheld: type not granted"));
    if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) {
      for (auto& [name, f] : view.fields) crypto::SecureWipe(f.value);
      return s;
    }
  }
  return view;
}

absl::Status DataAccess::DeleteField(const RequestContext& ctx, std::string_view tenant,
                                     std::string_view subject, std::string_view field) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kWrite, subject));
  absl::StatusOr<DataType> type = options_.subjects->FieldType(tenant, subject, field);
  if (!type.ok()) return type.status();
  const std::vector<std::string> type_name = {std::string(DataTypeName(*type))};
  Decision d = Authorize(ctx.principal,
                         {tenant, Action::kWrite, *type, RevealLevel::kTokenOnly, ctx.purpose});
  if (!d.allowed) return Deny(ctx, tenant, Action::kWrite, subject, type_name, d.reason);
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kWrite, subject, type_name, true, "field deleted"));
  // Checked again under the subject's lock: the field may have changed type
  // since FieldType looked, and a hold may have been placed.
  std::optional<Decision> refused;
  std::set<DataType> stored_types;
  absl::Status deleted = options_.subjects->DeleteField(
      tenant, subject, field, &events, ReplaceGuard(ctx, tenant, subject, &refused, &stored_types));
  if (refused.has_value()) {
    return Deny(ctx, tenant, Action::kWrite, subject, TypeNames(stored_types), refused->reason);
  }
  return deleted;
}

absl::StatusOr<SubjectExport> DataAccess::Export(const RequestContext& ctx, std::string_view tenant,
                                                 std::string_view subject) {
  RequestContext export_ctx = ctx;
  if (export_ctx.purpose.empty()) export_ctx.purpose = "subject_request";
  RETURN_IF_ERROR(
      Guard(export_ctx, tenant, Action::kExport, std::nullopt, RevealLevel::kPlain, subject, {}));
  SubjectExport out;
  RETURN_IF_ERROR(ExportConsent(export_ctx, tenant, subject, &out));  // consent, residency
  std::set<DataType> refused;
  auto visible = [&](DataType type) {
    bool ok = Authorize(export_ctx.principal,
                        {tenant, Action::kExport, type, RevealLevel::kPlain, export_ctx.purpose})
                  .allowed;
    if (!ok) refused.insert(type);
    return ok;
  };
  std::vector<std::string> withheld;
  absl::StatusOr<std::map<std::string, RevealedField>> fields =
      options_.subjects->ReadFields(tenant, subject, {}, RevealLevel::kPlain, visible, &withheld);
  if (!fields.ok()) return fields.status();
  if (!withheld.empty()) {
    for (auto& [name, f] : *fields) crypto::SecureWipe(f.value);
    return Deny(export_ctx, tenant, Action::kExport, subject, TypeNames(refused),
                "an export must include every field: a type is not granted");
  }
  out.fields = std::move(*fields);
  absl::StatusOr<std::vector<records::HoldRecord>> holds =
      options_.lifecycle->ListHolds(tenant, subject);
  if (!holds.ok()) return holds.status();
  out.holds = std::move(*holds);
  absl::StatusOr<std::optional<records::ErasureRecord>> pending =
      options_.lifecycle->PendingErasure(tenant, subject);
  if (!pending.ok()) return pending.status();
  out.pending_erasure = std::move(*pending);
  AuditQuery q;
  q.tenant = std::string(tenant);
  q.subject = std::string(subject);
  q.limit = 1000;
  absl::StatusOr<AuditPage> report = options_.audit->Find(q);
  if (!report.ok()) return report.status();
  out.access_report = std::move(report->entries);
  std::set<DataType> types;
  for (const auto& [name, f] : out.fields) types.insert(f.type);
  std::vector<AuditEvent> events;
  events.push_back(Event(export_ctx, tenant, Action::kExport, subject, TypeNames(types), true, ""));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) {
    for (auto& [name, f] : out.fields) crypto::SecureWipe(f.value);
    return s;
  }
  return out;
}

}  // namespace vault
