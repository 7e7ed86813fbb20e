// TokenTable implementation.
#include "vault/tokens/token_table.h"

#include "crypto/aead.h"
#include "vault/model/record_keys.h"
#include "vault/tokens/token_codec.h"

namespace vault {
namespace {

constexpr storage::Table kTable = storage::Table::kTokens;

}  // namespace

absl::StatusOr<records::TokenRecord> TokenTable::Parse(std::string_view stored) {
  records::TokenRecord record;
  if (!record.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return absl::DataLossError("token record is corrupt");
  }
  return record;
}

absl::StatusOr<records::TokenRecord> TokenTable::Get(std::string_view tenant,
                                                     std::string_view fingerprint) const {
  absl::StatusOr<std::string> stored = kv_->Get(kTable, TokenKey(tenant, fingerprint));
  if (!stored.ok()) return stored.status();
  return Parse(*stored);
}

absl::StatusOr<bool> TokenTable::Contains(std::string_view tenant,
                                          std::string_view fingerprint) const {
  absl::StatusOr<std::string> stored = kv_->Get(kTable, TokenKey(tenant, fingerprint));
  if (stored.ok()) return true;
  if (absl::IsNotFound(stored.status())) return false;
  return stored.status();
}

std::vector<absl::StatusOr<std::string>> TokenTable::ReadMany(
    std::string_view tenant, const std::vector<std::string>& fingerprints) const {
  std::vector<std::string> keys;
  keys.reserve(fingerprints.size());
  for (const std::string& fp : fingerprints) keys.push_back(TokenKey(tenant, fp));
  return kv_->MultiGet(kTable, keys);
}

absl::StatusOr<std::vector<bool>> TokenTable::Revoked(
    std::string_view tenant, const std::vector<std::string>& fingerprints) const {
  std::vector<absl::StatusOr<std::string>> stored = ReadMany(tenant, fingerprints);
  std::vector<bool> revoked(stored.size(), false);
  for (size_t i = 0; i < stored.size(); ++i) {
    if (!stored[i].ok()) {
      if (absl::IsNotFound(stored[i].status())) continue;
      return stored[i].status();
    }
    absl::StatusOr<records::TokenRecord> record = Parse(*stored[i]);
    if (!record.ok()) return record.status();
    revoked[i] = record->revoked();
  }
  return revoked;
}

absl::Status TokenTable::StagePut(const TokenClaims& claims, const TokenSealKey& key,
                                  std::string_view plaintext, int64_t created_at_unix_ms,
                                  crypto::RandomSource& random, storage::WriteBatch* batch) {
  absl::StatusOr<std::string> ciphertext = crypto::XChaCha20Poly1305::Encrypt(
      key.key, plaintext,
      TokenRecordAd(claims.tenant, claims.fingerprint, claims.subject, claims.type, key.dek_id,
                    claims.format, claims.field, claims.expires_at_unix_ms),
      random);
  if (!ciphertext.ok()) return ciphertext.status();
  records::TokenRecord record;
  record.set_type(std::string(claims.type));
  record.set_format(std::string(claims.format));
  record.set_subject(std::string(claims.subject));
  record.set_field(std::string(claims.field));
  record.set_dek_id(std::string(key.dek_id));
  record.set_ciphertext(std::move(*ciphertext));
  record.set_created_at_unix_ms(created_at_unix_ms);
  record.set_expires_at_unix_ms(claims.expires_at_unix_ms);
  batch->Put(kTable, TokenKey(claims.tenant, claims.fingerprint), record.SerializeAsString());
  return absl::OkStatus();
}

void TokenTable::StageTombstone(std::string_view tenant, std::string_view fingerprint,
                                const records::TokenRecord& live, int64_t revoked_at_unix_ms,
                                storage::WriteBatch* batch) {
  records::TokenRecord tombstone;
  tombstone.set_type(live.type());
  tombstone.set_format(live.format());
  tombstone.set_subject(live.subject());
  tombstone.set_field(live.field());
  tombstone.set_created_at_unix_ms(revoked_at_unix_ms);
  tombstone.set_revoked(true);
  batch->Put(kTable, TokenKey(tenant, fingerprint), tombstone.SerializeAsString());
}

absl::Status TokenTable::StageDeleteUnlessRevoked(std::string_view tenant,
                                                  std::string_view fingerprint,
                                                  storage::WriteBatch* batch) const {
  const std::string key = TokenKey(tenant, fingerprint);
  absl::StatusOr<std::string> stored = kv_->Get(kTable, key);
  if (!stored.ok() && !absl::IsNotFound(stored.status())) {
    return stored.status();  // never guess "no tombstone"
  }
  records::TokenRecord parsed;
  const bool tombstone = stored.ok() && parsed.ParseFromString(*stored) && parsed.revoked();
  if (!tombstone) batch->Delete(kTable, key);
  return absl::OkStatus();
}

absl::Status TokenTable::DeleteTenant(std::string_view tenant) {
  storage::WriteBatch batch;
  absl::Status s =
      kv_->ScanPrefix(kTable, TenantPrefix(tenant), [&](std::string_view key, std::string_view) {
        batch.Delete(kTable, key);
        return true;
      });
  if (!s.ok()) return s;
  if (batch.empty()) return absl::OkStatus();
  return kv_->Write(batch);
}

absl::Status TokenTable::CompactTenant(std::string_view tenant) {
  const std::string prefix = TenantPrefix(tenant);
  return kv_->CompactRange(kTable, prefix, storage::PrefixSuccessor(prefix));
}

}  // namespace vault
