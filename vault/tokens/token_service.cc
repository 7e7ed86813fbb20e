// TokenService implementation: the tenant checks, tokenize (its steps are in
// tokenize_call.cc), revoke and describe. Detokenize is in token_resolve.cc.
#include "vault/tokens/token_service.h"

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/audit/concurrent_change.h"
#include "vault/model/record_keys.h"
#include "vault/tokens/internal/tokenize_call.h"
#include "vault/tokens/token_table.h"

namespace vault {
namespace {

constexpr size_t kMaxTokenLength = 64;

}  // namespace

absl::Status TokenService::CheckTenant(std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  if (options_.keys->sealed()) return SealedError();
  return options_.keys->GetTenant(tenant).status();
}

absl::StatusOr<std::vector<TokenizeResult>> TokenService::Tokenize(
    std::string_view tenant, const std::vector<TokenizeItem>& items,
    const std::vector<AuditEvent>* audit) {
  RETURN_IF_ERROR(CheckTenant(tenant));
  if (items.empty()) return absl::InvalidArgumentError("items: at least one item is required");
  if (items.size() > options_.max_batch) {
    return absl::InvalidArgumentError(Cat("items: at most ", options_.max_batch, " per call"));
  }
  for (int attempt = 1;; ++attempt) {
    tokens_internal::TokenizeCall call(options_, reservations_, token_locks_, tenant);
    absl::StatusOr<std::vector<TokenizeResult>> result = call.Run(items, audit);
    // Several nodes: another node created a data key this call created too,
    // and won. Nothing of this call was written; run it again on that key.
    if (result.ok() || !IsConcurrentChange(result.status()) || attempt == 3) return result;
  }
}

bool TokenReservations::TryReserve(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.insert(key).second;
}

void TokenReservations::Release(const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : keys) keys_.erase(key);
}

absl::StatusOr<std::string> TokenService::FingerprintOf(std::string_view tenant,
                                                        std::string_view token) {
  RETURN_IF_ERROR(CheckTenant(tenant));
  if (token.size() > kMaxTokenLength || !LooksLikeToken(token)) {
    return absl::NotFoundError("unknown token");
  }
  absl::StatusOr<KeyCache::Key> token_key =
      options_.keys->GetTenantSubkey(tenant, TenantSubkey::kToken);
  if (!token_key.ok()) return token_key.status();
  return TokenFingerprint(**token_key, token);
}

absl::Status TokenService::Revoke(std::string_view tenant, std::string_view token,
                                  const std::vector<AuditEvent>* audit) {
  absl::StatusOr<std::string> fp = FingerprintOf(tenant, token);
  if (!fp.ok()) return fp.status();
  const TokenTable table(options_.kv);
  absl::StatusOr<records::TokenRecord> record = table.Get(tenant, *fp);
  if (!record.ok()) {
    if (absl::IsNotFound(record.status())) return absl::NotFoundError("unknown token");
    return record.status();
  }
  // Lock the subject (field tokens are rewritten under it) and then the
  // token's stripe, and look again: nothing may overwrite the tombstone.
  std::unique_lock<std::mutex> subject_lock;
  if (!record->subject().empty()) {
    subject_lock = options_.locks->Lock(tenant, record->subject());
  }
  std::unique_lock<std::mutex> token_lock = token_locks_.Lock(tenant, *fp);
  record = table.Get(tenant, *fp);
  if (!record.ok()) {
    if (absl::IsNotFound(record.status())) return absl::NotFoundError("unknown token");
    return record.status();
  }
  if (record->revoked()) return absl::NotFoundError("unknown token");
  storage::WriteBatch batch;
  TokenTable::StageTombstone(tenant, *fp, *record, absl::ToUnixMillis(options_.clock->Now()),
                             &batch);
  return options_.committer->Commit(batch, audit);
}

absl::StatusOr<TokenService::TokenFacts> TokenService::Describe(std::string_view tenant,
                                                                std::string_view token) {
  absl::StatusOr<std::string> fp = FingerprintOf(tenant, token);
  if (!fp.ok()) return fp.status();
  absl::StatusOr<records::TokenRecord> record = TokenTable(options_.kv).Get(tenant, *fp);
  if (!record.ok()) return record.status();
  if (record->revoked()) return absl::NotFoundError("unknown token");
  absl::StatusOr<DataType> type = ParseDataType(record->type());
  if (!type.ok()) return absl::DataLossError("token record has an unknown type");
  return TokenFacts{*type, record->subject()};
}

}  // namespace vault
