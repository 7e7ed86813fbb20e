// TokenService: tokenize a batch of values, detokenize a batch of tokens at a
// reveal level, revoke a token. A token with a subject is encrypted under
// that subject's DEK (it dies with the subject); one without a subject under
// the tenant-level data key (the DEK of the reserved empty subject id). The
// record's associated data binds tenant, token fingerprint, subject, type,
// DEK id and format. A token only resolves inside its own tenant: its
// storage key is a fingerprint under the tenant's own token key.
// Thread-safety: safe for concurrent use. Concurrent tokenize calls share
// synced writes through the GroupCommitter.
// Never puts a value or a token into an error message or a log.
#ifndef VAULT_TOKENS_TOKEN_SERVICE_H_
#define VAULT_TOKENS_TOKEN_SERVICE_H_

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "crypto/random.h"
#include "vault/audit/group_committer.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/keys/subject_key_store.h"
#include "vault/model/data_types.h"
#include "vault/model/records.pb.h"
#include "vault/model/reveal.h"
#include "vault/storage/kv_store.h"
#include "vault/subjects/subject_store.h"
#include "vault/tokens/token_codec.h"

namespace vault {

struct TokenizeItem {
  std::string type;
  std::string value;
  std::string subject;      // optional
  std::string format;       // "", random, deterministic, format_preserving
  int64_t ttl_seconds = 0;  // 0 = never expires
};

struct TokenizeResult {
  std::string token;
  DataType type = DataType::kGeneric;
};

struct DetokenizeResult {
  std::string token;
  // OK, or per-item NOT_FOUND (unknown, revoked, malformed, other tenant),
  // PERMISSION_DENIED (the item policy refused its type), GONE (the data
  // key it was made under no longer exists), EXPIRED.
  absl::Status status;
  DataType type = DataType::kGeneric;
  std::string value;  // at `reveal`; empty for token_only
  RevealLevel reveal = RevealLevel::kMasked;
  std::string subject;      // empty when the token has none
  std::string fingerprint;  // hex keyed fingerprint (for the audit log); empty if malformed
};

struct TokenServiceOptions {
  storage::KvStore* kv = nullptr;
  KeyHierarchy* keys = nullptr;
  SubjectKeyStore* subject_keys = nullptr;
  SubjectStore* subjects = nullptr;
  SubjectLocks* locks = nullptr;
  GroupCommitter* committer = nullptr;     // durable writes go through it
  const Clock* clock = nullptr;            // required
  crypto::RandomSource* random = nullptr;  // required
  size_t max_batch = 10000;
};

// Storage keys of format-preserving tokens drawn by calls whose commit has
// not finished: a concurrent call treats them as taken. Short critical
// sections only; never held across a commit.
class TokenReservations {
 public:
  // False if `key` is already reserved.
  bool TryReserve(const std::string& key);
  void Release(const std::vector<std::string>& keys);

 private:
  std::mutex mu_;
  std::set<std::string> keys_ ABSL_GUARDED_BY(mu_);
};

class TokenService {
 public:
  explicit TokenService(TokenServiceOptions options) : options_(options) {}

  // All or nothing: every item is validated first; one bad item fails the
  // call with INVALID_ARGUMENT naming "items[i]" and nothing is written.
  // Results are in request order.
  // `audit` entries, if any, are written in the same atomic batch.
  [[nodiscard]] absl::StatusOr<std::vector<TokenizeResult>> Tokenize(
      std::string_view tenant, const std::vector<TokenizeItem>& items,
      const std::vector<AuditEvent>* audit = nullptr);

  // Decides per item, from its type and its subject ("" for a token without
  // one), before anything is decrypted: OK or PERMISSION_DENIED.
  using ItemPolicy = std::function<absl::Status(DataType type, std::string_view subject)>;

  // Per-item outcomes in request order. Fails as a whole for a bad tenant,
  // a sealed vault, an oversized batch, a storage fault or a record that
  // fails authentication (DATA_LOSS): never a partial answer then.
  [[nodiscard]] absl::StatusOr<std::vector<DetokenizeResult>> Detokenize(
      std::string_view tenant, const std::vector<std::string>& tokens, RevealLevel reveal,
      const ItemPolicy& policy = nullptr);

  // Leaves a tombstone: the token answers NOT_FOUND from now on and its
  // string is never issued or revived again. NOT_FOUND when the token does
  // not exist in this tenant (or was already revoked).
  [[nodiscard]] absl::Status Revoke(std::string_view tenant, std::string_view token,
                                    const std::vector<AuditEvent>* audit = nullptr);

  // What a token looks like to the audit log: its type and subject, without
  // decrypting anything. NOT_FOUND when unknown.
  struct TokenFacts {
    DataType type = DataType::kGeneric;
    std::string subject;
  };
  [[nodiscard]] absl::StatusOr<TokenFacts> Describe(std::string_view tenant,
                                                    std::string_view token);

 private:
  absl::Status CheckTenant(std::string_view tenant);
  // The storage fingerprint of a well-formed token of an existing tenant;
  // NOT_FOUND for a malformed token.
  absl::StatusOr<std::string> FingerprintOf(std::string_view tenant, std::string_view token);
  // One detokenize item from its stored row (or the store's NOT_FOUND).
  absl::StatusOr<DetokenizeResult> Resolve(std::string_view tenant, const std::string& token,
                                           const absl::StatusOr<std::string>& stored,
                                           RevealLevel reveal, std::string_view fingerprint,
                                           const KeyCache::Key& hash_key, const ItemPolicy& policy);
  // The plaintext of a live record; nullopt with out->status GONE (its data
  // key is gone or was replaced) or EXPIRED when the record no longer
  // answers. DATA_LOSS when it fails authentication.
  absl::StatusOr<std::optional<std::string>> OpenRecord(std::string_view tenant,
                                                        std::string_view fingerprint,
                                                        const records::TokenRecord& record,
                                                        DetokenizeResult* out);
  // A field token's answer: the field's current value at `reveal` (none
  // for token_only), its current type checked against `policy` again.
  absl::Status RevealFieldToken(std::string_view tenant, const records::TokenRecord& record,
                                DataType type, RevealLevel reveal, const ItemPolicy& policy,
                                DetokenizeResult* out);

  TokenServiceOptions options_;
  TokenReservations reservations_;
  // Stripes keyed by token fingerprint: a revocation and a deterministic
  // re-tokenization of the same token never interleave (lock order: subject
  // stripes first, then these).
  SubjectLocks token_locks_;
};

}  // namespace vault

#endif  // VAULT_TOKENS_TOKEN_SERVICE_H_
