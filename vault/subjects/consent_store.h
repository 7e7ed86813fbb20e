// ConsentStore: a data subject's consent (purposes withdrawn, minor, guardian
// consent) and the history of its changes, sealed under the subject's DEK
// (records.proto ConsentState/SealedConsent), so both die with the subject at
// crypto-shredding. Reads are cached per subject; a cached entry is used only
// while the subject's DEK is the one it was opened with (so an erasure makes
// it unusable at once), and PUT replaces it. The cache empties on seal.
// Thread-safety: safe for concurrent use; a change and a cache fill of one
// subject serialise on the subject's lock (SubjectLocks).
// Never puts a consent value into an error message or a log.
#ifndef VAULT_SUBJECTS_CONSENT_STORE_H_
#define VAULT_SUBJECTS_CONSENT_STORE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "crypto/random.h"
#include "vault/audit/group_committer.h"
#include "vault/keys/key_cache.h"
#include "vault/keys/subject_key_store.h"
#include "vault/storage/kv_store.h"

namespace vault {

struct Consent {
  std::vector<std::string> withdrawn_purposes;  // sorted, unique
  bool minor = false;
  bool guardian_consent = false;
  int64_t updated_at_unix_ms = 0;  // 0: never recorded (the default consent)
  std::string principal;           // who recorded it ("" for the default)
};

// Why a read with a purpose is refused by a subject's consent.
enum class ConsentRefusal { kNone, kWithdrawn, kMinor };

// The rule every read path applies (docs/api.md, "Consent"):
// - a minor without guardian consent is readable only with purpose `legal`
//   or `subject_request` (not without a purpose);
// - a stated purpose the subject withdrew is refused, and so is a read
//   without a stated purpose of a subject who withdrew any purpose.
ConsentRefusal CheckConsent(const Consent& consent, std::string_view purpose);
// The audit reason of a refusal: "consent_withdrawn" or
// "minor_without_guardian_consent" ("" for kNone).
std::string_view ConsentRefusalReason(ConsentRefusal refusal);
// The purposes no subject can withdraw: they do not rest on consent.
bool IsUnwithdrawablePurpose(std::string_view purpose);

struct ConsentStoreOptions {
  storage::KvStore* kv = nullptr;
  SubjectKeyStore* subject_keys = nullptr;
  KeyHierarchy* keys = nullptr;  // seal listener
  SubjectLocks* locks = nullptr;
  GroupCommitter* committer = nullptr;
  const Clock* clock = nullptr;            // required
  crypto::RandomSource* random = nullptr;  // required
  size_t cache_capacity = 100000;
};

class ConsentStore {
 public:
  explicit ConsentStore(ConsentStoreOptions options);

  // The subject's consent; the default (nothing withdrawn, not a minor,
  // updated_at 0) when none was recorded. NOT_FOUND for an unknown subject,
  // GONE for an erased one, SEALED while sealed, DATA_LOSS when a stored
  // record fails authentication.
  [[nodiscard]] absl::StatusOr<Consent> Get(std::string_view tenant, std::string_view subject);
  // Records `consent` (its time and principal are set here) and a history
  // entry, with `audit`, in one atomic batch. Creates the subject's DEK when
  // it has none yet (consent may come before any data); GONE for an erased
  // subject. REQUIRES: the caller validated ids and purposes.
  [[nodiscard]] absl::StatusOr<Consent> Put(std::string_view tenant, std::string_view subject,
                                            Consent consent, std::string_view principal,
                                            const std::vector<AuditEvent>* audit);
  // Every recorded change, oldest first (empty when none). Errors as Get.
  [[nodiscard]] absl::StatusOr<std::vector<Consent>> History(std::string_view tenant,
                                                             std::string_view subject);

  size_t cached() const { return cache_.size(); }
  // Another node changed a consent: every subject's is read again.
  void EvictAll() { cache_.Clear(); }

 private:
  struct Cached {
    std::string dek_id;
    Consent consent;
    uint64_t history_count = 0;
  };
  using CachedHandle = std::shared_ptr<const Cached>;
  // The stored state under `dek` (the default when none). REQUIRES: the
  // subject's lock is held when the result is cached.
  absl::StatusOr<Cached> Load(std::string_view tenant, std::string_view subject,
                              const DataKey& dek);

  ConsentStoreOptions options_;
  LruCache<CachedHandle> cache_;
};

}  // namespace vault

#endif  // VAULT_SUBJECTS_CONSENT_STORE_H_
