// Route handlers for a subject's consent (#17 item 1):
// GET and PUT /v1/tenants/{tenant}/subjects/{subject}/consent.
// Thread-safety: stateless; see api/internal/routes.h.
// Never logs; a consent (personal data) only passes through to the reply.
#include <utility>

#include "api/internal/routes.h"
#include "api/wire.h"

namespace vault::api::internal {

v1::Consent ConsentView(const Consent& consent) {
  v1::Consent out;
  for (const std::string& p : consent.withdrawn_purposes) out.add_withdrawn_purposes(p);
  out.set_minor(consent.minor);
  out.set_guardian_consent(consent.guardian_consent);
  if (consent.updated_at_unix_ms != 0) {
    out.set_updated_at(Rfc3339FromUnixMillis(consent.updated_at_unix_ms));
  }
  out.set_principal(consent.principal);
  return out;
}

HttpResponse HandleGetConsent(Call& call) {
  absl::StatusOr<Consent> consent =
      call.access().GetConsent(*call.ctx, call.Param("tenant"), call.Param("subject"));
  if (!consent.ok()) return call.Error(consent.status());
  return call.Reply(ConsentView(*consent));
}

HttpResponse HandlePutConsent(Call& call) {
  v1::Consent in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  if (!in.updated_at().empty() || !in.principal().empty()) {
    return call.Error(absl::InvalidArgumentError("updated_at and principal are set by the vault"));
  }
  Consent consent;
  consent.withdrawn_purposes.assign(in.withdrawn_purposes().begin(), in.withdrawn_purposes().end());
  consent.minor = in.minor();
  consent.guardian_consent = in.guardian_consent();
  absl::StatusOr<Consent> stored = call.access().PutConsent(
      *call.ctx, call.Param("tenant"), call.Param("subject"), std::move(consent));
  if (!stored.ok()) return call.Error(stored.status());
  return call.Reply(ConsentView(*stored));
}

}  // namespace vault::api::internal
