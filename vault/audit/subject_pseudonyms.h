// SubjectPseudonyms: how the audit log names a subject without keeping its
// id. Each subject gets an audit key: 32 random bytes, stored like a data
// key (wrapped under the tenant KEK, in Table::kSubjectKeys, under the
// holder AuditKeyHolder(subject)), rewrapped by shred epochs and deleted in
// the same batch as the subject's data key when it is shredded. An entry
// names the subject by "sp_" + hex(BLAKE2b-MAC(audit key, tenant, subject)):
// while the key lives, the vault can find a subject's entries (it computes
// the pseudonym again); once it is shredded, and the epoch has destroyed the
// KEK version a copy of it was wrapped under, nothing links an entry to the
// id. A subject the vault already shredded is named "erased"; one named in
// a call on a tenant without keys (unknown or erased) "unlinked".
// Thread-safety: safe for concurrent use. Apply never takes SubjectLocks
// (callers commit while holding them); creation is serialised per subject
// by stripes of its own.
#ifndef VAULT_AUDIT_SUBJECT_PSEUDONYMS_H_
#define VAULT_AUDIT_SUBJECT_PSEUDONYMS_H_

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vault/audit/audit_log.h"
#include "vault/keys/subject_key_store.h"
#include "vault/storage/kv_store.h"

namespace vault {

inline constexpr std::string_view kErasedSubjectRef = "erased";
inline constexpr std::string_view kUnlinkedSubjectRef = "unlinked";

class SubjectPseudonyms {
 public:
  SubjectPseudonyms(storage::KvStore* kv, SubjectKeyStore* subject_keys)
      : kv_(kv), subject_keys_(subject_keys) {}

  // Replaces each event's subject by its pseudonym (creating audit keys
  // that do not exist yet, all in one durable write). Events without a
  // subject, or whose subject is the unsafe-text marker, stay as they are.
  // Fails (and the caller's commit with it) while sealed or when the
  // storage refuses the new keys.
  [[nodiscard]] absl::Status Apply(std::vector<AuditEvent>* events);

  // The pseudonym of a subject that has an audit key; nullopt when it has
  // none (never named, or shredded). Creates nothing.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Find(std::string_view tenant,
                                                                std::string_view subject);

 private:
  // The pseudonym, or nullopt when the subject has no audit key.
  absl::StatusOr<std::optional<std::string>> Lookup(std::string_view tenant,
                                                    std::string_view subject);
  // Creates the audit keys of `missing` (tenant, subject) pairs in one write;
  // afterwards each either has a key or was shredded meanwhile.
  absl::Status Create(const std::vector<std::pair<std::string, std::string>>& missing);
  bool Shredded(std::string_view tenant, std::string_view subject, absl::Status* error);

  storage::KvStore* kv_;
  SubjectKeyStore* subject_keys_;
  std::mutex create_mu_;  // one creator at a time; creation is rare
};

}  // namespace vault

#endif  // VAULT_AUDIT_SUBJECT_PSEUDONYMS_H_
