// ConsentStore implementation.
#include "vault/subjects/consent_store.h"

#include <algorithm>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/aead.h"
#include "vault/model/record_keys.h"
#include "vault/model/records.pb.h"

namespace vault {
namespace {

// Table ledger: ConsentPrefix (record_keys.h), then "c" (the current
// state) or "h" + u64 index (one change).
std::string CurrentSlot() { return "c"; }
std::string HistorySlot(uint64_t index) { return Cat("h", EncodeU64(index)); }

// Bound to where the record lives: tenant, subject, slot and the DEK, so a
// record copied to another subject or slot (or kept across a new key)
// fails to open.
std::string ConsentAd(std::string_view tenant, std::string_view subject, std::string_view slot,
                      std::string_view dek_id) {
  return AssociatedData("consent", {tenant, subject, slot, dek_id});
}

absl::StatusOr<std::string> Seal(std::string_view tenant, std::string_view subject,
                                 std::string_view slot, const DataKey& dek,
                                 const records::ConsentState& state, crypto::RandomSource& random) {
  std::string plain = state.SerializeAsString();
  absl::StatusOr<std::string> ciphertext = crypto::XChaCha20Poly1305::Encrypt(
      dek.key, plain, ConsentAd(tenant, subject, slot, dek.dek_id), random);
  crypto::SecureWipe(plain);
  if (!ciphertext.ok()) return ciphertext.status();
  records::SealedConsent sealed;
  sealed.set_dek_id(dek.dek_id);
  sealed.set_ciphertext(std::move(*ciphertext));
  return sealed.SerializeAsString();
}

absl::StatusOr<records::ConsentState> Open(std::string_view tenant, std::string_view subject,
                                           std::string_view slot, const DataKey& dek,
                                           std::string_view stored) {
  records::SealedConsent sealed;
  if (!sealed.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return absl::DataLossError("consent record is corrupt");
  }
  // The AD names the DEK's own id: a record sealed under another key cannot
  // authenticate.
  absl::StatusOr<std::string> plain = crypto::XChaCha20Poly1305::Decrypt(
      dek.key, sealed.ciphertext(), ConsentAd(tenant, subject, slot, dek.dek_id));
  if (!plain.ok()) return absl::DataLossError("consent record failed authentication");
  records::ConsentState state;
  const bool parsed = state.ParseFromString(*plain);
  crypto::SecureWipe(*plain);
  if (!parsed) return absl::DataLossError("consent record is corrupt");
  return state;
}

Consent FromState(const records::ConsentState& state) {
  Consent c;
  c.withdrawn_purposes.assign(state.withdrawn_purposes().begin(), state.withdrawn_purposes().end());
  c.minor = state.minor();
  c.guardian_consent = state.guardian_consent();
  c.updated_at_unix_ms = state.updated_at_unix_ms();
  c.principal = state.principal();
  return c;
}

records::ConsentState ToState(const Consent& c) {
  records::ConsentState state;
  for (const std::string& p : c.withdrawn_purposes) state.add_withdrawn_purposes(p);
  state.set_minor(c.minor);
  state.set_guardian_consent(c.guardian_consent);
  state.set_updated_at_unix_ms(c.updated_at_unix_ms);
  state.set_principal(c.principal);
  return state;
}

}  // namespace

bool IsUnwithdrawablePurpose(std::string_view purpose) {
  return purpose == "legal" || purpose == "subject_request";
}

ConsentRefusal CheckConsent(const Consent& consent, std::string_view purpose) {
  if (consent.minor && !consent.guardian_consent && !IsUnwithdrawablePurpose(purpose)) {
    return ConsentRefusal::kMinor;
  }
  if (consent.withdrawn_purposes.empty()) return ConsentRefusal::kNone;
  // No stated purpose: the read could be for any purpose, a withdrawn one
  // included.
  if (purpose.empty()) return ConsentRefusal::kWithdrawn;
  return std::binary_search(consent.withdrawn_purposes.begin(), consent.withdrawn_purposes.end(),
                            purpose)
             ? ConsentRefusal::kWithdrawn
             : ConsentRefusal::kNone;
}

std::string_view ConsentRefusalReason(ConsentRefusal refusal) {
  switch (refusal) {
    case ConsentRefusal::kWithdrawn: return "consent_withdrawn";
    case ConsentRefusal::kMinor: return "minor_without_guardian_consent";
    case ConsentRefusal::kNone: break;
  }
  return "";
}

ConsentStore::ConsentStore(ConsentStoreOptions options)
    : options_(options), cache_(options.cache_capacity) {
  options_.keys->AddSealListener([this] { cache_.Clear(); });
}

absl::StatusOr<ConsentStore::Cached> ConsentStore::Load(std::string_view tenant,
                                                        std::string_view subject,
                                                        const DataKey& dek) {
  Cached out;
  out.dek_id = dek.dek_id;
  absl::StatusOr<std::string> stored =
      options_.kv->Get(storage::Table::kLedger, Cat(ConsentPrefix(tenant, subject), CurrentSlot()));
  if (!stored.ok()) {
    if (IsMissing(stored.status())) return out;  // never recorded: the default
    return stored.status();
  }
  ASSIGN_OR_RETURN(records::ConsentState state, Open(tenant, subject, CurrentSlot(), dek, *stored));
  out.consent = FromState(state);
  out.history_count = state.history_count();
  return out;
}

absl::StatusOr<Consent> ConsentStore::Get(std::string_view tenant, std::string_view subject) {
  const std::string id = SubjectKey(tenant, subject);
  // The DEK first, always: an erased subject answers GONE even while an
  // entry of it is still cached (and the entry goes).
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, subject);
  if (!dek.ok()) {
    if (IsGone(dek.status())) cache_.Erase(id);
    return dek.status();
  }
  if (CachedHandle hit = cache_.Get(id); hit != nullptr && hit->dek_id == (*dek)->dek_id) {
    return hit->consent;
  }
  // A miss fills under the subject's lock, so it cannot put back a state
  // that a concurrent Put has just replaced.
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  if (CachedHandle hit = cache_.Get(id); hit != nullptr && hit->dek_id == (*dek)->dek_id) {
    return hit->consent;
  }
  ASSIGN_OR_RETURN(Cached loaded, Load(tenant, subject, **dek));
  auto handle = std::make_shared<const Cached>(std::move(loaded));
  cache_.Put(id, handle);
  return handle->consent;
}

absl::StatusOr<Consent> ConsentStore::Put(std::string_view tenant, std::string_view subject,
                                          Consent consent, std::string_view principal,
                                          const std::vector<AuditEvent>* audit) {
  std::sort(consent.withdrawn_purposes.begin(), consent.withdrawn_purposes.end());
  consent.withdrawn_purposes.erase(
      std::unique(consent.withdrawn_purposes.begin(), consent.withdrawn_purposes.end()),
      consent.withdrawn_purposes.end());
  consent.updated_at_unix_ms = absl::ToUnixMillis(options_.clock->Now());
  consent.principal = std::string(principal);

  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  storage::WriteBatch batch;
  ASSIGN_OR_RETURN(DataKeyHandle dek, options_.subject_keys->GetOrCreate(tenant, subject, &batch));
  ASSIGN_OR_RETURN(Cached previous, Load(tenant, subject, *dek));
  const std::string prefix = ConsentPrefix(tenant, subject);
  records::ConsentState state = ToState(consent);
  const std::string history_slot = HistorySlot(previous.history_count);
  ASSIGN_OR_RETURN(std::string change,
                   Seal(tenant, subject, history_slot, *dek, state, *options_.random));
  batch.Put(storage::Table::kLedger, Cat(prefix, history_slot), change);
  state.set_history_count(previous.history_count + 1);
  ASSIGN_OR_RETURN(std::string current,
                   Seal(tenant, subject, CurrentSlot(), *dek, state, *options_.random));
  batch.Put(storage::Table::kLedger, Cat(prefix, CurrentSlot()), current);
  batch.MarkInvalidatesCaches();  // other nodes drop their cached consent

  const std::string id = SubjectKey(tenant, subject);
  cache_.Erase(id);
  RETURN_IF_ERROR(options_.committer->Commit(batch, audit));
  cache_.Put(
      id, std::make_shared<const Cached>(Cached{dek->dek_id, consent, previous.history_count + 1}));
  return consent;
}

absl::StatusOr<std::vector<Consent>> ConsentStore::History(std::string_view tenant,
                                                           std::string_view subject) {
  ASSIGN_OR_RETURN(DataKeyHandle dek, options_.subject_keys->Get(tenant, subject));
  const std::string prefix = Cat(ConsentPrefix(tenant, subject), "h");
  std::vector<Consent> out;
  absl::Status failed;
  absl::Status s = options_.kv->ScanPrefix(
      storage::Table::kLedger, prefix, [&](std::string_view key, std::string_view value) {
        const std::string_view slot = key.substr(prefix.size() - 1);
        absl::StatusOr<records::ConsentState> state = Open(tenant, subject, slot, *dek, value);
        if (!state.ok()) {
          failed = state.status();
          return false;
        }
        out.push_back(FromState(*state));
        return true;
      });
  RETURN_IF_ERROR(s);
  RETURN_IF_ERROR(failed);
  return out;
}

}  // namespace vault
