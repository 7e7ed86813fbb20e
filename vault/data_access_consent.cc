// DataAccess: a subject's consent (GET/PUT .../subjects/{subject}/consent) and
// the consent gate that every read path runs (#17 item 1). The gate runs
// before anything of the subject is decrypted; a refusal is logged as denied
// with the reason "consent_withdrawn" or "minor_without_guardian_consent".
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/data_access.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

constexpr size_t kMaxWithdrawnPurposes = 64;

absl::Status ValidateConsentInput(const Consent& consent) {
  if (consent.withdrawn_purposes.size() > kMaxWithdrawnPurposes) {
    return absl::InvalidArgumentError(
        Cat("withdrawn_purposes: at most ", kMaxWithdrawnPurposes, " purposes"));
  }
  for (size_t i = 0; i < consent.withdrawn_purposes.size(); ++i) {
    const std::string& purpose = consent.withdrawn_purposes[i];
    if (absl::Status s = ValidatePurpose(purpose); !s.ok()) {
      return absl::InvalidArgumentError(Cat("withdrawn_purposes[", i, "]: ", s.message()));
    }
    if (IsUnwithdrawablePurpose(purpose)) {
      return absl::InvalidArgumentError(
          Cat("withdrawn_purposes[", i,
              "]: legal and subject_request do not rest on consent and cannot be withdrawn"));
    }
  }
  return absl::OkStatus();
}

std::string RefusalMessage(ConsentRefusal refusal) {
  if (refusal == ConsentRefusal::kMinor) {
    return "minor_without_guardian_consent: the subject is a minor without a guardian's consent; "
           "only purposes legal and subject_request may read it";
  }
  return "consent_withdrawn: the subject withdrew consent for this purpose (a read of such a "
         "subject must state its purpose)";
}

}  // namespace

absl::StatusOr<ConsentRefusal> DataAccess::ConsentFor(std::string_view tenant,
                                                      std::string_view subject,
                                                      std::string_view purpose) {
  absl::StatusOr<Consent> consent = options_.consent->Get(tenant, subject);
  if (!consent.ok()) {
    const ErrorKind kind = ErrorKindOf(consent.status());
    if (kind == ErrorKind::kNotFound || kind == ErrorKind::kGone) return ConsentRefusal::kNone;
    return consent.status();  // fail closed: no answer, no read
  }
  return CheckConsent(*consent, purpose);
}

absl::Status DataAccess::DenyConsent(const RequestContext& ctx, std::string_view tenant,
                                     Action action, std::string_view subject,
                                     ConsentRefusal refusal) {
  std::vector<AuditEvent> events;
  events.push_back(Event(ctx, tenant, action, subject, {}, false, ConsentRefusalReason(refusal)));
  RETURN_IF_ERROR(CommitAudit(std::move(events)));
  return absl::PermissionDeniedError(RefusalMessage(refusal));
}

absl::Status DataAccess::ExportConsent(const RequestContext& ctx, std::string_view tenant,
                                       std::string_view subject, SubjectExport* out) {
  absl::StatusOr<Consent> consent = options_.consent->Get(tenant, subject);
  if (consent.ok()) {
    const ConsentRefusal refusal = CheckConsent(*consent, ctx.purpose);
    if (refusal != ConsentRefusal::kNone) {
      return DenyConsent(ctx, tenant, Action::kExport, subject, refusal);
    }
    out->consent = std::move(*consent);
    ASSIGN_OR_RETURN(out->consent_history, options_.consent->History(tenant, subject));
  } else if (ErrorKindOf(consent.status()) != ErrorKind::kNotFound && !IsGone(consent.status())) {
    return consent.status();
  }
  ASSIGN_OR_RETURN(TenantInfo info, options_.keys->GetTenant(tenant));
  out->residency = info.residency;
  return absl::OkStatus();
}

absl::StatusOr<Consent> DataAccess::GetConsent(const RequestContext& ctx, std::string_view tenant,
                                               std::string_view subject) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  // Read or export allows it; a refusal is logged as a read.
  const bool export_only =
      !Authorize(ctx.principal,
                 {tenant, Action::kRead, std::nullopt, RevealLevel::kTokenOnly, ctx.purpose})
           .allowed &&
      Authorize(ctx.principal,
                {tenant, Action::kExport, std::nullopt, RevealLevel::kTokenOnly, ctx.purpose})
          .allowed;
  const Action action = export_only ? Action::kExport : Action::kRead;
  RETURN_IF_ERROR(Check(ctx, tenant, action, subject));
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());
  ASSIGN_OR_RETURN(Consent consent, options_.consent->Get(tenant, subject));
  // Durable before it is returned: no entry, no answer.
  RETURN_IF_ERROR(Log(ctx, tenant, action, subject, "consent read"));
  return consent;
}

absl::StatusOr<Consent> DataAccess::PutConsent(const RequestContext& ctx, std::string_view tenant,
                                               std::string_view subject, Consent consent) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kWrite, subject));
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  RETURN_IF_ERROR(ValidateConsentInput(consent));
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());
  const std::vector<AuditEvent> events =
      Allowed(ctx, tenant, Action::kWrite, subject, "consent changed");
  return options_.consent->Put(tenant, subject, std::move(consent), ctx.principal.id, &events);
}

}  // namespace vault
