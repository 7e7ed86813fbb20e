// DataAccess implementation.
#include "vault/data_access.h"

#include <set>

#include "absl/strings/match.h"
#include "vault/model/record_keys.h"
#include "base/status.h"
#include "base/strings.h"

namespace vault {
namespace {

std::vector<std::string> TypeNames(const std::set<DataType>& types) {
  std::vector<std::string> out;
  for (DataType t : types) out.emplace_back(DataTypeName(t));
  return out;
}

// One audit entry per subject touched by a read: which types it touched,
// whether anything was returned, and the keyed fingerprints of its tokens.
struct SubjectTouch {
  std::set<DataType> types;
  bool returned = false;
  bool refused = false;
  std::vector<std::string> fingerprints;
};

}  // namespace

AuditEvent DataAccess::Event(const RequestContext& ctx, std::string_view tenant, Action action,
                             std::string_view subject, std::vector<std::string> types,
                             bool allowed, std::string_view reason) const {
  // Ids come from the request path and are logged before the services
  // validate them: one that is not a valid id is logged as a fixed marker,
  // so a refused request cannot write arbitrary bytes into the chain.
  AuditEvent e;
  e.principal = ctx.principal.id;
  e.tenant = ValidateTenantId(tenant).ok() ? std::string(tenant) : std::string(kUnsafeAuditText);
  e.action = std::string(ActionName(action));
  e.subject = subject.empty() || ValidateSubjectId(subject).ok() ? std::string(subject)
                                                                  : std::string(kUnsafeAuditText);
  e.types = std::move(types);
  e.purpose = ctx.purpose;
  e.allowed = allowed;
  e.request_id = ctx.request_id;
  e.reason = std::string(reason);
  return e;
}

absl::Status DataAccess::CommitAudit(std::vector<AuditEvent> events) {
  if (events.empty()) return absl::OkStatus();
  absl::Status s = options_.committer->Commit(storage::WriteBatch(), &events);
  if (s.ok()) return s;
  if (IsSealed(s)) return s;
  // A refusing store says why ("storage full: ...", a fixed text): pass it on.
  if (absl::IsUnavailable(s) && absl::StartsWith(s.message(), "storage ")) {
    return absl::UnavailableError(Cat("audit log cannot be written: ", s.message()));
  }
  return absl::UnavailableError("audit log cannot be written");
}

absl::Status DataAccess::Deny(const RequestContext& ctx, std::string_view tenant, Action action,
                              std::string_view subject, std::vector<std::string> types,
                              std::string_view reason) {
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, action, subject, std::move(types), false, reason));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  return absl::PermissionDeniedError(std::string(reason));
}

absl::Status DataAccess::Guard(const RequestContext& ctx, std::string_view tenant, Action action,
                               std::optional<DataType> type, RevealLevel reveal,
                               std::string_view subject, std::vector<std::string> types) {
  if (!ctx.purpose.empty()) {
    if (absl::Status s = ValidatePurpose(ctx.purpose); !s.ok()) return s;
  }
  if (options_.keys->sealed()) return SealedError();
  Decision d = Authorize(ctx.principal, {tenant, action, type, reveal, ctx.purpose});
  if (d.allowed) return absl::OkStatus();
  return Deny(ctx, tenant, action, subject, std::move(types), d.reason);
}

absl::StatusOr<std::vector<TokenizeResult>> DataAccess::Tokenize(
    const RequestContext& ctx, std::string_view tenant, const std::vector<TokenizeItem>& items) {
  std::map<std::string, std::set<DataType>> by_subject;
  std::set<DataType> all_types;
  std::set<DataType> deterministic_types;
  for (const TokenizeItem& item : items) {
    absl::StatusOr<DataType> type = ParseDataType(item.type);
    if (!type.ok()) continue;  // the service names the bad item
    by_subject[item.subject].insert(*type);
    all_types.insert(*type);
    if (item.format == "deterministic") deterministic_types.insert(*type);
  }
  if (absl::Status s = Guard(ctx, tenant, Action::kTokenize, std::nullopt,
                             RevealLevel::kTokenOnly, "", TypeNames(all_types));
      !s.ok()) {
    return s;
  }
  for (DataType t : all_types) {
    Decision d = Authorize(ctx.principal, {tenant, Action::kTokenize, t, RevealLevel::kTokenOnly,
                                           ctx.purpose, deterministic_types.count(t) != 0});
    if (!d.allowed) return Deny(ctx, tenant, Action::kTokenize, "", TypeNames(all_types), d.reason);
  }
  std::vector<AuditEvent> events;
  for (const auto& [subject, types] : by_subject) {
    events.push_back(Event(ctx, tenant, Action::kTokenize, subject, TypeNames(types), true, ""));
  }
  return options_.tokens->Tokenize(tenant, items, &events);
}

absl::StatusOr<std::vector<DetokenizeResult>> DataAccess::Detokenize(
    const RequestContext& ctx, std::string_view tenant, const std::vector<std::string>& tokens,
    RevealLevel reveal) {
  if (absl::Status s =
          Guard(ctx, tenant, Action::kDetokenize, std::nullopt, reveal, "", {});
      !s.ok()) {
    return s;
  }
  auto policy = [&](DataType type) -> absl::Status {
    Decision d = Authorize(ctx.principal, {tenant, Action::kDetokenize, type, reveal, ctx.purpose});
    if (d.allowed) return absl::OkStatus();
    return absl::PermissionDeniedError(std::string(d.reason));
  };
  absl::StatusOr<std::vector<DetokenizeResult>> results =
      options_.tokens->Detokenize(tenant, tokens, reveal, policy);
  if (!results.ok()) return results.status();

  std::map<std::string, SubjectTouch> touched;
  for (const DetokenizeResult& r : *results) {
    const bool returned = r.status.ok();
    const bool refused = absl::IsPermissionDenied(r.status);
    if (!returned && !refused) continue;  // unknown, gone, expired: no data either way
    SubjectTouch& t = touched[r.subject];
    t.types.insert(r.type);
    t.returned |= returned;
    t.refused |= refused;
    t.fingerprints.push_back(r.fingerprint);
  }
  std::vector<AuditEvent> events;
  for (auto& [subject, t] : touched) {
    AuditEvent e = Event(ctx, tenant, Action::kDetokenize, subject, TypeNames(t.types),
                         t.returned, t.refused ? "some items refused: type not granted" : "");
    e.fingerprints = std::move(t.fingerprints);
    events.push_back(std::move(e));
  }
  // Durable before anything is returned; no entry, no data.
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) {
    for (DetokenizeResult& r : *results) crypto::SecureWipe(r.value);
    return s;
  }
  return results;
}

absl::Status DataAccess::Revoke(const RequestContext& ctx, std::string_view tenant,
                                std::string_view token) {
  // Revocation is its own grant: a deterministic token is shared by every
  // caller of the same value, so being able to compute it (tokenize) must
  // not be enough to destroy it for the others.
  if (absl::Status s = Guard(ctx, tenant, Action::kRevoke, std::nullopt,
                             RevealLevel::kTokenOnly, "", {});
      !s.ok()) {
    return s;
  }
  absl::StatusOr<TokenService::TokenFacts> facts = options_.tokens->Describe(tenant, token);
  if (!facts.ok()) return facts.status();
  const std::vector<std::string> type_name = {std::string(DataTypeName(facts->type))};
  Decision d = Authorize(ctx.principal, {tenant, Action::kRevoke, facts->type,
                                         RevealLevel::kTokenOnly, ctx.purpose});
  if (!d.allowed) return Deny(ctx, tenant, Action::kRevoke, facts->subject, type_name, d.reason);
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kRevoke, facts->subject,
                         {std::string(DataTypeName(facts->type))}, true, "token revoked"));
  return options_.tokens->Revoke(tenant, token, &events);
}

absl::StatusOr<std::map<std::string, std::string>> DataAccess::PutSubject(
    const RequestContext& ctx, std::string_view tenant, std::string_view subject,
    const std::map<std::string, FieldInput>& fields) {
  std::set<DataType> types;
  for (const auto& [name, input] : fields) {
    absl::StatusOr<DataType> type = ParseDataType(input.type);
    if (type.ok()) types.insert(*type);
  }
  if (absl::Status s = Guard(ctx, tenant, Action::kWrite, std::nullopt, RevealLevel::kTokenOnly,
                             subject, TypeNames(types));
      !s.ok()) {
    return s;
  }
  for (DataType t : types) {
    Decision d =
        Authorize(ctx.principal, {tenant, Action::kWrite, t, RevealLevel::kTokenOnly, ctx.purpose});
    if (!d.allowed) return Deny(ctx, tenant, Action::kWrite, subject, TypeNames(types), d.reason);
  }
  for (const auto& [name, input] : fields) {
    if (input.retention.empty()) continue;
    absl::Status known = options_.lifecycle->RetentionPeriod(tenant, input.retention).status();
    if (absl::IsNotFound(known)) {
      return absl::InvalidArgumentError(
          Cat("fields.", name, ": unknown retention class (see GET .../retention-classes)"));
    }
    if (!known.ok()) return known;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kWrite, subject, TypeNames(types), true, ""));
  std::optional<Decision> refused;
  std::set<DataType> stored_types;
  absl::StatusOr<std::map<std::string, std::string>> tokens = options_.subjects->PutFields(
      tenant, subject, fields, &events,
      ReplaceGuard(ctx, tenant, subject, &refused, &stored_types));
  if (refused.has_value()) {
    types.insert(stored_types.begin(), stored_types.end());
    return Deny(ctx, tenant, Action::kWrite, subject, TypeNames(types), refused->reason);
  }
  return tokens;
}

ReplaceCheck DataAccess::ReplaceGuard(const RequestContext& ctx,
                                                    std::string_view tenant,
                                                    std::string_view subject,
                                                    std::optional<Decision>* refused,
                                                    std::set<DataType>* stored_types) {
  // Replacing or deleting a stored field destroys its value: that needs
  // write on the stored type too, and no hold on the subject.
  return [this, &ctx, tenant, subject, refused,
          stored_types](const std::vector<StoredField>& replaced) -> absl::Status {
    if (replaced.empty()) return absl::OkStatus();
    for (const StoredField& f : replaced) {
      stored_types->insert(f.type);
      Decision d = Authorize(ctx.principal,
                             {tenant, Action::kWrite, f.type, RevealLevel::kTokenOnly, ctx.purpose});
      if (!d.allowed) {
        *refused = d;
        return absl::PermissionDeniedError(std::string(d.reason));
      }
    }
    absl::StatusOr<bool> held = options_.lifecycle->HasHold(tenant, subject);
    if (!held.ok()) return held.status();
    if (*held) {
      return absl::FailedPreconditionError(
          Cat("fields.", replaced.front().name, ": the subject is under a legal hold; its fields "
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
  if (absl::Status s = Guard(ctx, tenant, Action::kRead, std::nullopt, reveal, subject, {});
      !s.ok()) {
    return s;
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
  if (absl::Status s = Guard(ctx, tenant, Action::kWrite, std::nullopt, RevealLevel::kTokenOnly,
                             subject, {});
      !s.ok()) {
    return s;
  }
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
      tenant, subject, field, &events,
      ReplaceGuard(ctx, tenant, subject, &refused, &stored_types));
  if (refused.has_value()) {
    return Deny(ctx, tenant, Action::kWrite, subject, TypeNames(stored_types), refused->reason);
  }
  return deleted;
}

absl::StatusOr<std::vector<std::string>> DataAccess::Search(const RequestContext& ctx,
                                                            std::string_view tenant,
                                                            std::string_view type,
                                                            std::string_view value) {
  absl::StatusOr<DataType> parsed = ParseDataType(type);
  if (!parsed.ok()) return absl::InvalidArgumentError(Cat("type: ", parsed.status().message()));
  const std::vector<std::string> type_names = {std::string(type)};
  if (absl::Status s = Guard(ctx, tenant, Action::kSearch, *parsed, RevealLevel::kTokenOnly, "",
                             type_names);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::vector<std::string>> found = options_.subjects->Search(tenant, type, value);
  if (!found.ok()) return found.status();
  std::vector<AuditEvent> events;
  for (const std::string& subject : *found) {
    events.push_back(Event(ctx, tenant, Action::kSearch, subject, type_names, true, ""));
  }
  if (found->empty()) {
    events.push_back(Event(ctx, tenant, Action::kSearch, "", type_names, true, "no match"));
  }
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  return found;
}

absl::StatusOr<AuditPage> DataAccess::QueryAudit(const RequestContext& ctx,
                                                 const AuditQuery& query) {
  if (absl::Status s = Guard(ctx, query.tenant, Action::kAudit, std::nullopt,
                             RevealLevel::kTokenOnly, query.subject, {});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = options_.keys->GetTenant(query.tenant).status(); !s.ok()) return s;
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, query.tenant, Action::kAudit, query.subject, {}, true, ""));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  return options_.audit->Find(query);
}

absl::StatusOr<records::HoldRecord> DataAccess::PutHold(const RequestContext& ctx,
                                                        std::string_view tenant,
                                                        std::string_view subject,
                                                        std::string_view hold_id,
                                                        std::string_view reason) {
  if (absl::Status s = Guard(ctx, tenant, Action::kHold, std::nullopt, RevealLevel::kTokenOnly,
                             subject, {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kHold, subject, {}, true, "hold placed"));
  return options_.lifecycle->PutHold(tenant, subject, hold_id, reason, events);
}

absl::Status DataAccess::ReleaseHold(const RequestContext& ctx, std::string_view tenant,
                                     std::string_view subject, std::string_view hold_id) {
  if (absl::Status s = Guard(ctx, tenant, Action::kHold, std::nullopt, RevealLevel::kTokenOnly,
                             subject, {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kHold, subject, {}, true, "hold released"));
  return options_.lifecycle->ReleaseHold(tenant, subject, hold_id, events);
}

absl::StatusOr<records::ErasureRecord> DataAccess::RequestErasure(const RequestContext& ctx,
                                                                  std::string_view tenant,
                                                                  std::string_view subject,
                                                                  absl::Duration grace) {
  if (absl::Status s = Guard(ctx, tenant, Action::kErase, std::nullopt, RevealLevel::kTokenOnly,
                             subject, {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kErase, subject, {}, true,
                         grace == absl::ZeroDuration() ? "erased" : "erasure requested"));
  return options_.lifecycle->RequestErasure(tenant, subject, grace, ctx.principal.id, events);
}

absl::StatusOr<records::ErasureRecord> DataAccess::CancelErasure(const RequestContext& ctx,
                                                                 std::string_view tenant,
                                                                 std::string_view subject) {
  if (absl::Status s = Guard(ctx, tenant, Action::kErase, std::nullopt, RevealLevel::kTokenOnly,
                             subject, {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kErase, subject, {}, true, "erasure cancelled"));
  return options_.lifecycle->CancelErasure(tenant, subject, events);
}

absl::StatusOr<records::ErasureRecord> DataAccess::GetErasure(const RequestContext& ctx,
                                                              std::string_view tenant,
                                                              std::string_view erasure_id) {
  if (absl::Status s = Guard(ctx, tenant, Action::kErase, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  return options_.lifecycle->GetErasure(tenant, erasure_id);
}

absl::StatusOr<std::vector<records::RetainedRecord>> DataAccess::RetainedOf(
    const RequestContext& ctx, const records::ErasureRecord& erasure) {
  if (absl::Status s = Guard(ctx, erasure.tenant(), Action::kErase, std::nullopt,
                             RevealLevel::kTokenOnly, "", {});
      !s.ok()) {
    return s;
  }
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
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Guard(ctx, tenant, Action::kAdmin, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kAdmin, "", {}, true, "retention class saved"));
  return options_.lifecycle->PutRetentionClass(tenant, name, days, events);
}

absl::StatusOr<std::vector<records::RetentionClassRecord>> DataAccess::ListRetentionClasses(
    const RequestContext& ctx, std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Guard(ctx, tenant, Action::kAdmin, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = options_.keys->GetTenant(tenant).status(); !s.ok()) return s;
  return options_.lifecycle->ListRetentionClasses(tenant);
}

absl::StatusOr<uint64_t> DataAccess::CloseEpoch(const RequestContext& ctx,
                                                std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Guard(ctx, tenant, Action::kKeys, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kKeys, "", {}, true, "shred epoch close requested"));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  return options_.lifecycle->CloseEpoch(tenant);
}

absl::StatusOr<records::ErasureReceipt> DataAccess::EraseTenant(const RequestContext& ctx,
                                                                std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (!ctx.principal.is_operator) {
    return Deny(ctx, tenant, Action::kAdmin, "", {}, "only operators may erase a tenant");
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kErase, "", {}, true, "tenant erasure requested"));
  return options_.lifecycle->EraseTenant(tenant, events);
}

absl::StatusOr<SubjectExport> DataAccess::Export(const RequestContext& ctx,
                                                 std::string_view tenant,
                                                 std::string_view subject) {
  RequestContext export_ctx = ctx;
  if (export_ctx.purpose.empty()) export_ctx.purpose = "subject_request";
  if (absl::Status s = Guard(export_ctx, tenant, Action::kExport, std::nullopt, RevealLevel::kPlain,
                             subject, {});
      !s.ok()) {
    return s;
  }
  std::set<DataType> refused;
  auto visible = [&](DataType type) {
    bool ok = Authorize(export_ctx.principal,
                        {tenant, Action::kExport, type, RevealLevel::kPlain, export_ctx.purpose})
                  .allowed;
    if (!ok) refused.insert(type);
    return ok;
  };
  SubjectExport out;
  std::vector<std::string> withheld;
  absl::StatusOr<std::map<std::string, RevealedField>> fields = options_.subjects->ReadFields(
      tenant, subject, {}, RevealLevel::kPlain, visible, &withheld);
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

absl::StatusOr<TenantInfo> DataAccess::GetTenant(const RequestContext& ctx,
                                                 std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Guard(ctx, tenant, Action::kAdmin, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  return options_.keys->GetTenant(tenant);
}

absl::StatusOr<std::vector<KekInfo>> DataAccess::ListKeys(const RequestContext& ctx,
                                                          std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Guard(ctx, tenant, Action::kKeys, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  return options_.keys->ListKeks(tenant);
}

absl::StatusOr<uint32_t> DataAccess::RotateKey(const RequestContext& ctx, std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Guard(ctx, tenant, Action::kKeys, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = options_.keys->GetTenant(tenant).status(); !s.ok()) return s;
  // The keyring is outside the store: the entry (the intent) goes first.
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kKeys, "", {}, true, "tenant key rotation requested"));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  return options_.lifecycle->RotateKey(tenant);
}

absl::Status DataAccess::CreateTenant(const RequestContext& ctx, std::string_view tenant,
                                      std::string_view residency) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Guard(ctx, tenant, Action::kAdmin, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  if (options_.keys->GetTenant(tenant).ok()) return absl::AlreadyExistsError("tenant already exists");
  // The keyring lives outside the store, so the entry is written first (the
  // intent), then the tenant.
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kAdmin, "", {}, true, "tenant creation requested"));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  return options_.keys->CreateTenant(tenant, residency);
}

absl::StatusOr<records::RoleRecord> DataAccess::PutRole(const RequestContext& ctx,
                                                        std::string_view tenant,
                                                        records::RoleRecord role) {
  if (absl::Status s = Guard(ctx, tenant, Action::kAdmin, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kAdmin, "", {}, true, "role written"));
  return options_.principals->PutRole(tenant, std::move(role), events);
}

absl::StatusOr<std::vector<records::RoleRecord>> DataAccess::ListRoles(const RequestContext& ctx,
                                                                       std::string_view tenant) {
  if (absl::Status s = Guard(ctx, tenant, Action::kAdmin, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  return options_.principals->ListRoles(tenant);
}

absl::StatusOr<IssuedPrincipal> DataAccess::CreatePrincipal(const RequestContext& ctx,
                                                            std::string_view tenant,
                                                            std::string_view name,
                                                            const std::vector<std::string>& roles) {
  if (absl::Status s = Guard(ctx, tenant, Action::kAdmin, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kAdmin, "", {}, true, "principal created"));
  return options_.principals->CreatePrincipal(tenant, name, roles, events);
}

absl::Status DataAccess::DeletePrincipal(const RequestContext& ctx, std::string_view tenant,
                                         std::string_view id) {
  if (absl::Status s = Guard(ctx, tenant, Action::kAdmin, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kAdmin, "", {}, true, "principal deleted"));
  return options_.principals->DeletePrincipal(tenant, id, events);
}

}  // namespace vault

namespace vault {

absl::StatusOr<records::RewrapJob> DataAccess::StartRewrap(const RequestContext& ctx,
                                                           std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Guard(ctx, tenant, Action::kKeys, std::nullopt, RevealLevel::kTokenOnly,
                             "", {});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = options_.keys->GetTenant(tenant).status(); !s.ok()) return s;
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kKeys, "", {}, true, "shred epoch job started"));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
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

absl::StatusOr<uint32_t> DataAccess::RotateRoot(const RequestContext& ctx) {
  if (!ctx.principal.is_operator) {
    return Deny(ctx, "", Action::kAdmin, "", {}, "only operators may rotate the root key");
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, "", Action::kAdmin, "", {}, true, "root key rotation"));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  return options_.keys->RotateRoot();
}

absl::StatusOr<BackupSummary> DataAccess::CreateBackup(const RequestContext& ctx,
                                                       const std::string& backup_root,
                                                       std::string_view name) {
  if (!ctx.principal.is_operator) {
    return Deny(ctx, "", Action::kAdmin, "", {}, "only operators may take backups");
  }
  if (absl::Status s = ValidateBackupName(name); !s.ok()) return s;
  if (backup_root.empty()) {
    return absl::FailedPreconditionError("no backup folder is configured (vaultd --backup-dir)");
  }
  const std::string dir = Cat(backup_root, "/", name);
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, "", Action::kAdmin, "", {}, true, "backup"));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  return vault::CreateBackup(*options_.keys, *options_.kv, dir);
}

absl::StatusOr<DataAccess::LedgerExport> DataAccess::ShredLedger(const RequestContext& ctx) {
  if (!ctx.principal.is_operator) {
    return Deny(ctx, "", Action::kAdmin, "", {}, "only operators may read the shred ledger");
  }
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, "", Action::kAdmin, "", {}, true, "shred ledger export"));
  if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  LedgerExport out;
  absl::StatusOr<std::vector<records::ErasureRecord>> done = ListDoneErasures(*options_.kv);
  if (!done.ok()) return done.status();
  out.done = std::move(*done);
  absl::StatusOr<records::LiveState> state = CaptureLiveState(
      *options_.keys, *options_.kv, absl::ToUnixMillis(options_.clock->Now()));
  if (!state.ok()) return state.status();
  out.state = std::move(*state);
  return out;
}

absl::StatusOr<AuditExportPage> DataAccess::ExportAudit(const RequestContext& ctx,
                                                        uint64_t after_seq, size_t limit) {
  if (!ctx.principal.is_operator) {
    return Deny(ctx, "", Action::kAudit, "", {}, "only operators may export the audit log");
  }
  if (after_seq == 0) {
    std::vector<AuditEvent> events;
    events.push_back(Event(ctx, "", Action::kAudit, "", {}, true, "audit export"));
    if (absl::Status s = CommitAudit(std::move(events)); !s.ok()) return s;
  }
  return options_.audit->Export(after_seq, limit);
}

}  // namespace vault
