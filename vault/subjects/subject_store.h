// SubjectStore: a person's record, one encrypted field per name. Each field's
// normalised value is encrypted under the subject's DEK with associated data
// binding tenant, subject, field name, type, DEK id (the key version) and
// retention class, so a row copied elsewhere fails to decrypt. Every change is
// one atomic write batch (a new subject's wrapped DEK included).
// Thread-safety: safe for concurrent use; writers to one subject serialise.
// Never puts a value into an error message or a log.
#ifndef VAULT_SUBJECTS_SUBJECT_STORE_H_
#define VAULT_SUBJECTS_SUBJECT_STORE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "crypto/random.h"
#include "vault/audit/group_committer.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/keys/subject_key_store.h"
#include "vault/model/data_types.h"
#include "vault/model/reveal.h"
#include "vault/storage/kv_store.h"

namespace vault {

struct FieldInput {
  std::string type;       // a data type name, e.g. "phone"
  std::string value;      // as given by the caller; validated and normalised
  std::string retention;  // retention class, "" for none
};

struct RevealedField {
  DataType type = DataType::kGeneric;
  std::string value;  // normalised, masked or hashed per `reveal`
  RevealLevel reveal = RevealLevel::kMasked;
  std::string retention;
};

struct SubjectStoreOptions {
  storage::KvStore* kv = nullptr;
  KeyHierarchy* keys = nullptr;
  SubjectKeyStore* subject_keys = nullptr;
  SubjectLocks* locks = nullptr;
  GroupCommitter* committer = nullptr;     // durable writes go through it
  const Clock* clock = nullptr;            // required
  crypto::RandomSource* random = nullptr;  // required
};

// The associated data of a field's ciphertext.
std::string FieldAd(std::string_view tenant, std::string_view subject, std::string_view field,
                    std::string_view type, std::string_view dek_id, std::string_view retention);

// A stored field that a write is about to replace or delete.
struct StoredField {
  std::string name;
  DataType type = DataType::kGeneric;
  std::string retention;
};
// Called under the subject's lock, before anything is written, with the
// stored fields a write replaces or deletes (possibly none); a non-OK status
// aborts the write with that status.
using ReplaceCheck = std::function<absl::Status(const std::vector<StoredField>& replaced)>;

class SubjectStore {
 public:
  explicit SubjectStore(SubjectStoreOptions options) : options_(options) {}

  // Creates or replaces the listed fields; other fields stay. Returns each
  // field's token (stable per subject and field: it resolves to the field's
  // current value). The fields, their blind-index entries and their token
  // records change in one atomic batch. INVALID_ARGUMENT naming the field
  // when a name, type or value is bad (nothing is written); NOT_FOUND for an
  // unknown tenant; SEALED while sealed. FAILED_PRECONDITION naming the
  // field when it would change the type of a field under a retention class.
  // `check` (optional) vets the fields being replaced, see ReplaceCheck.
  [[nodiscard]] absl::StatusOr<std::map<std::string, std::string>> PutFields(
      std::string_view tenant, std::string_view subject,
      const std::map<std::string, FieldInput>& fields,
      const std::vector<AuditEvent>* audit = nullptr, const ReplaceCheck& check = nullptr);

  // Reads `names` (all fields when empty) at `reveal` (plain, masked or
  // hashed). Absent names are left out. NOT_FOUND for an unknown subject;
  // DATA_LOSS when a stored row fails authentication.
  // `visible`, when set, decides per field type before decryption; fields
  // it refuses are not decrypted and their names go to `withheld`.
  [[nodiscard]] absl::StatusOr<std::map<std::string, RevealedField>> ReadFields(
      std::string_view tenant, std::string_view subject, const std::vector<std::string>& names,
      RevealLevel reveal, const std::function<bool(DataType)>& visible = nullptr,
      std::vector<std::string>* withheld = nullptr);

  // ReadFields without the id checks, for a retention holder (an erased
  // subject's retained fields live under RetentionHolder(subject, class)).
  [[nodiscard]] absl::StatusOr<std::map<std::string, RevealedField>> ReadStoredFields(
      std::string_view tenant, std::string_view holder, const std::vector<std::string>& names,
      RevealLevel reveal, const std::function<bool(DataType)>& visible,
      std::vector<std::string>* withheld);
  // Decrypts one stored field row with `dek` and reveals it at `reveal`.
  [[nodiscard]] absl::StatusOr<RevealedField> Open(std::string_view tenant,
                                                   std::string_view subject, std::string_view field,
                                                   std::string_view stored, const DataKey& dek,
                                                   RevealLevel reveal);

  // NOT_FOUND when the subject or the field does not exist. Removes the
  // field, its blind-index entry and its token in one batch.
  [[nodiscard]] absl::Status DeleteField(std::string_view tenant, std::string_view subject,
                                         std::string_view field,
                                         const std::vector<AuditEvent>* audit = nullptr,
                                         const ReplaceCheck& check = nullptr);

  // The stored type of a field (unauthenticated until the field is read;
  // used to authorize a delete). NOT_FOUND when absent.
  [[nodiscard]] absl::StatusOr<DataType> FieldType(std::string_view tenant,
                                                   std::string_view subject,
                                                   std::string_view field);

  // Exact-match search through the keyed blind index: the subjects (sorted,
  // unique) holding a field of `type` whose normalised value equals the
  // normalised `value`. INVALID_ARGUMENT for a bad type or value.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Search(std::string_view tenant,
                                                                std::string_view type,
                                                                std::string_view value);

 private:
  absl::Status CheckTenantAndSubject(std::string_view tenant, std::string_view subject);

  SubjectStoreOptions options_;
};

}  // namespace vault

#endif  // VAULT_SUBJECTS_SUBJECT_STORE_H_
