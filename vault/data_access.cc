// DataAccess: the guard, its audit helpers, and the token and search calls.
// Subjects, lifecycle and admin calls are in data_access_*.cc.
#include "vault/data_access.h"

#include <set>

#include "absl/strings/match.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/internal/type_names.h"
#include "vault/model/record_keys.h"

namespace vault {

using internal::TypeNames;
namespace {

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
                             std::string_view subject, std::vector<std::string> types, bool allowed,
                             std::string_view reason) const {
  // Ids come from the request path and are logged before the services
  // validate them: one that is not a valid id is logged as a fixed marker,
  // so a refused request cannot write arbitrary bytes into the chain.
  AuditEvent e;
  e.principal = ctx.principal.id;
  e.tenant = tenant.empty() || ValidateTenantId(tenant).ok() ? std::string(tenant)
                                                             : std::string(kUnsafeAuditText);
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
  // DataAccess holds no lock here: a parkable request may give its thread
  // back until its entries are durable.
  absl::Status s = options_.committer->Commit(storage::WriteBatch(), &events, CommitWait::kMayPark);
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
  RETURN_IF_ERROR(CommitAudit(std::move(events)));
  return absl::PermissionDeniedError(std::string(reason));
}

absl::Status DataAccess::Guard(const RequestContext& ctx, std::string_view tenant, Action action,
                               std::optional<DataType> type, RevealLevel reveal,
                               std::string_view subject, std::vector<std::string> types) {
  if (!ctx.purpose.empty()) {
    RETURN_IF_ERROR(ValidatePurpose(ctx.purpose));
  }
  if (options_.keys->sealed()) return SealedError();
  // Residency: a tenant of another region is not served here (logged, no subject).
  if (absl::Status served = options_.keys->CheckRegion(tenant); !served.ok()) {
    return Deny(ctx, tenant, action, "", {}, std::string(served.message()));
  }
  Decision d = Authorize(ctx.principal, {tenant, action, type, reveal, ctx.purpose});
  if (d.allowed) return absl::OkStatus();
  return Deny(ctx, tenant, action, subject, std::move(types), d.reason);
}

absl::Status DataAccess::Check(const RequestContext& ctx, std::string_view tenant, Action action,
                               std::string_view subject) {
  return Guard(ctx, tenant, action, std::nullopt, RevealLevel::kTokenOnly, subject, {});
}

absl::Status DataAccess::CheckOperator(const RequestContext& ctx, std::string_view log_tenant,
                                       Action action, std::string_view what) {
  AccessRequest request;
  request.action = action;
  request.system_wide = true;
  if (Authorize(ctx.principal, request).allowed) return absl::OkStatus();
  return Deny(ctx, log_tenant, action, "", {}, Cat("only operators may ", what));
}

std::vector<AuditEvent> DataAccess::Allowed(const RequestContext& ctx, std::string_view tenant,
                                            Action action, std::string_view subject,
                                            std::string_view what) const {
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, action, subject, {}, true, what));
  return events;
}

absl::Status DataAccess::Log(const RequestContext& ctx, std::string_view tenant, Action action,
                             std::string_view subject, std::string_view what) {
  return CommitAudit(Allowed(ctx, tenant, action, subject, what));
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
  RETURN_IF_ERROR(Guard(ctx, tenant, Action::kTokenize, std::nullopt, RevealLevel::kTokenOnly, "",
                        TypeNames(all_types)));
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
  RETURN_IF_ERROR(Guard(ctx, tenant, Action::kDetokenize, std::nullopt, reveal, "", {}));
  // Per item, before decryption: the type's grant, then the subject's
  // consent (looked up once per subject and call, cached across calls by
  // the store; none for tokens without a subject).
  std::map<std::string, ConsentRefusal, std::less<>> refusals;
  absl::Status consent_failed;
  auto policy = [&](DataType type, std::string_view subject) -> absl::Status {
    Decision d = Authorize(ctx.principal, {tenant, Action::kDetokenize, type, reveal, ctx.purpose});
    if (!d.allowed) return absl::PermissionDeniedError(std::string(d.reason));
    if (subject.empty()) return absl::OkStatus();
    auto it = refusals.find(subject);
    if (it == refusals.end()) {
      absl::StatusOr<ConsentRefusal> refusal = ConsentFor(tenant, subject, ctx.purpose);
      if (!refusal.ok()) {
        consent_failed.Update(refusal.status());
        return absl::PermissionDeniedError("consent could not be checked");
      }
      it = refusals.emplace(std::string(subject), *refusal).first;
    }
    if (it->second == ConsentRefusal::kNone) return absl::OkStatus();
    return absl::PermissionDeniedError(std::string(ConsentRefusalReason(it->second)));
  };
  absl::StatusOr<std::vector<DetokenizeResult>> results =
      options_.tokens->Detokenize(tenant, tokens, reveal, policy);
  if (!results.ok()) return results.status();
  if (!consent_failed.ok()) {  // fail closed: the whole call
    for (DetokenizeResult& r : *results) crypto::SecureWipe(r.value);
    return consent_failed;
  }

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
    auto refusal = refusals.find(subject);
    const std::string_view reason =
        refusal != refusals.end() && refusal->second != ConsentRefusal::kNone
            ? ConsentRefusalReason(refusal->second)
            : (t.refused ? "some items refused: type not granted" : "");
    AuditEvent e =
        Event(ctx, tenant, Action::kDetokenize, subject, TypeNames(t.types), t.returned, reason);
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
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kRevoke));
  absl::StatusOr<TokenService::TokenFacts> facts = options_.tokens->Describe(tenant, token);
  if (!facts.ok()) return facts.status();
  const std::vector<std::string> type_name = {std::string(DataTypeName(facts->type))};
  Decision d = Authorize(
      ctx.principal, {tenant, Action::kRevoke, facts->type, RevealLevel::kTokenOnly, ctx.purpose});
  if (!d.allowed) return Deny(ctx, tenant, Action::kRevoke, facts->subject, type_name, d.reason);
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, Action::kRevoke, facts->subject,
                         {std::string(DataTypeName(facts->type))}, true, "token revoked"));
  return options_.tokens->Revoke(tenant, token, &events);
}

absl::StatusOr<std::vector<std::string>> DataAccess::Search(const RequestContext& ctx,
                                                            std::string_view tenant,
                                                            std::string_view type,
                                                            std::string_view value) {
  absl::StatusOr<DataType> parsed = ParseDataType(type);
  if (!parsed.ok()) return absl::InvalidArgumentError(Cat("type: ", parsed.status().message()));
  const std::vector<std::string> type_names = {std::string(type)};
  if (absl::Status s =
          Guard(ctx, tenant, Action::kSearch, *parsed, RevealLevel::kTokenOnly, "", type_names);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::vector<std::string>> found = options_.subjects->Search(tenant, type, value);
  if (!found.ok()) return found.status();
  // A hit whose subject's consent refuses this purpose is left out of the
  // answer (as if it did not match) and logged as denied.
  std::vector<std::string> hits;
  std::vector<AuditEvent> events;
  for (const std::string& subject : *found) {
    ASSIGN_OR_RETURN(ConsentRefusal refusal, ConsentFor(tenant, subject, ctx.purpose));
    const bool allowed = refusal == ConsentRefusal::kNone;
    events.push_back(Event(ctx, tenant, Action::kSearch, subject, type_names, allowed,
                           ConsentRefusalReason(refusal)));
    if (allowed) hits.push_back(subject);
  }
  if (found->empty()) {
    events.push_back(Event(ctx, tenant, Action::kSearch, "", type_names, true, "no match"));
  }
  RETURN_IF_ERROR(CommitAudit(std::move(events)));
  return hits;
}

absl::StatusOr<AuditPage> DataAccess::QueryAudit(const RequestContext& ctx,
                                                 const AuditQuery& query) {
  RETURN_IF_ERROR(Check(ctx, query.tenant, Action::kAudit, query.subject));
  RETURN_IF_ERROR(options_.keys->GetTenant(query.tenant).status());
  RETURN_IF_ERROR(Log(ctx, query.tenant, Action::kAudit, query.subject, ""));
  return options_.audit->Find(query);
}

}  // namespace vault
