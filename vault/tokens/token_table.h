// TokenTable: the one owner of storage::Table::kTokens. It alone builds
// records::TokenRecord and stages token puts, deletes and tombstones into a
// storage::WriteBatch; the token service (value tokens, revocation), the
// subject store (field tokens) and the lifecycle (a tenant's erasure) go
// through it. Rows are keyed by TokenKey(tenant, fingerprint); a revoked
// token keeps a tombstone (revoked = true) so its string never comes back.
// Thread-safety: stateless over the KvStore it is given (which must outlive
// it); callers serialise writers of one token (subject and token stripes).
// Never logs; never puts a value or a token into an error message.
#ifndef VAULT_TOKENS_TOKEN_TABLE_H_
#define VAULT_TOKENS_TOKEN_TABLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "vault/model/records.pb.h"
#include "vault/storage/kv_store.h"

namespace vault {

// What a live token record claims besides its ciphertext; all of it is
// bound into the ciphertext's associated data (TokenRecordAd).
struct TokenClaims {
  std::string_view tenant;
  std::string_view fingerprint;    // TokenFingerprint of the token
  std::string_view subject;        // "" = the tenant-level data key
  std::string_view type;           // a data type name
  std::string_view format;         // TokenFormatName
  std::string_view field;          // field tokens only
  int64_t expires_at_unix_ms = 0;  // 0 = never
};

// The data key a token record is sealed under.
struct TokenSealKey {
  const crypto::SecretBytes& key;
  std::string_view dek_id;
};

class TokenTable {
 public:
  explicit TokenTable(storage::KvStore* kv) : kv_(kv) {}

  // --- reads ---
  // The record of a token: the store's NOT_FOUND when absent, DATA_LOSS
  // when it does not parse, else the store's error.
  [[nodiscard]] absl::StatusOr<records::TokenRecord> Get(std::string_view tenant,
                                                         std::string_view fingerprint) const;
  // Whether a row (whatever it holds, a tombstone too) uses the fingerprint.
  [[nodiscard]] absl::StatusOr<bool> Contains(std::string_view tenant,
                                              std::string_view fingerprint) const;
  // The stored rows of many tokens in one read, in order; each the stored
  // bytes or the store's status (NOT_FOUND when absent). See Parse.
  [[nodiscard]] std::vector<absl::StatusOr<std::string>> ReadMany(
      std::string_view tenant, const std::vector<std::string>& fingerprints) const;
  // Per fingerprint, whether its row is a tombstone (false when absent).
  // DATA_LOSS for a row that does not parse; the store's error otherwise.
  [[nodiscard]] absl::StatusOr<std::vector<bool>> Revoked(
      std::string_view tenant, const std::vector<std::string>& fingerprints) const;
  // A stored row as a record; DATA_LOSS when it does not parse.
  [[nodiscard]] static absl::StatusOr<records::TokenRecord> Parse(std::string_view stored);

  // --- staged writes ---
  // Seals `plaintext` (the normalised value; "" for a field token, whose
  // tag then authenticates the claims) under `key` and stages the record.
  [[nodiscard]] static absl::Status StagePut(const TokenClaims& claims, const TokenSealKey& key,
                                             std::string_view plaintext, int64_t created_at_unix_ms,
                                             crypto::RandomSource& random,
                                             storage::WriteBatch* batch);
  // Stages the tombstone that replaces `live` (type, format, subject and
  // field kept; no key, no ciphertext).
  static void StageTombstone(std::string_view tenant, std::string_view fingerprint,
                             const records::TokenRecord& live, int64_t revoked_at_unix_ms,
                             storage::WriteBatch* batch);
  // Stages the deletion of a token's row unless it is a tombstone (a row
  // that does not parse is deleted). The store's error, never a guess.
  [[nodiscard]] absl::Status StageDeleteUnlessRevoked(std::string_view tenant,
                                                      std::string_view fingerprint,
                                                      storage::WriteBatch* batch) const;

  // --- a tenant's erasure (written directly, not through a committer) ---
  // Deletes every row of the tenant in one write.
  [[nodiscard]] absl::Status DeleteTenant(std::string_view tenant);
  // Compacts the tenant's key range out of the live table files.
  [[nodiscard]] absl::Status CompactTenant(std::string_view tenant);

 private:
  storage::KvStore* kv_;
};

}  // namespace vault

#endif  // VAULT_TOKENS_TOKEN_TABLE_H_
