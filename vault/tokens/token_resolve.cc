// TokenService::Detokenize: one read of every token's row, then each item
// resolved on its own (authorize by type, check the data key, decrypt, check
// the expiry, reveal).
#include <map>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "vault/tokens/token_service.h"
#include "vault/tokens/token_table.h"

namespace vault {
namespace {

constexpr size_t kMaxTokenLength = 64;

}  // namespace

absl::StatusOr<std::vector<DetokenizeResult>> TokenService::Detokenize(
    std::string_view tenant, const std::vector<std::string>& tokens, RevealLevel reveal,
    const ItemPolicy& policy) {
  RETURN_IF_ERROR(CheckTenant(tenant));
  if (tokens.empty()) return absl::InvalidArgumentError("tokens: at least one token is required");
  if (tokens.size() > options_.max_batch) {
    return absl::InvalidArgumentError(Cat("tokens: at most ", options_.max_batch, " per call"));
  }
  absl::StatusOr<KeyCache::Key> token_key =
      options_.keys->GetTenantSubkey(tenant, TenantSubkey::kToken);
  if (!token_key.ok()) return token_key.status();
  KeyCache::Key hash_key;
  if (reveal == RevealLevel::kHashed) {
    absl::StatusOr<KeyCache::Key> k = options_.keys->GetTenantSubkey(tenant, TenantSubkey::kHash);
    if (!k.ok()) return k.status();
    hash_key = std::move(*k);
  }

  // Malformed tokens never reach storage; they answer NOT_FOUND like any
  // unknown token, so the answer says nothing about why.
  std::vector<std::string> fingerprints(tokens.size());
  std::vector<std::string> wanted;
  std::vector<size_t> row_of(tokens.size(), SIZE_MAX);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].size() > kMaxTokenLength || !LooksLikeToken(tokens[i])) continue;
    absl::StatusOr<std::string> fp = TokenFingerprint(**token_key, tokens[i]);
    if (!fp.ok()) return fp.status();
    fingerprints[i] = std::move(*fp);
    row_of[i] = wanted.size();
    wanted.push_back(fingerprints[i]);
  }
  std::vector<absl::StatusOr<std::string>> stored =
      TokenTable(options_.kv).ReadMany(tenant, wanted);
  for (const absl::StatusOr<std::string>& s : stored) {
    if (!s.ok() && !absl::IsNotFound(s.status())) return s.status();  // fail closed
  }
  const absl::StatusOr<std::string> missing = absl::NotFoundError("unknown token");
  std::vector<DetokenizeResult> results;
  results.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const absl::StatusOr<std::string>& s = row_of[i] == SIZE_MAX ? missing : stored[row_of[i]];
    absl::StatusOr<DetokenizeResult> r =
        Resolve(tenant, tokens[i], s, reveal, fingerprints[i], hash_key, policy);
    if (!r.ok()) {
      for (DetokenizeResult& done : results) crypto::SecureWipe(done.value);
      return r.status();
    }
    results.push_back(std::move(*r));
  }
  return results;
}

absl::StatusOr<DetokenizeResult> TokenService::Resolve(
    std::string_view tenant, const std::string& token, const absl::StatusOr<std::string>& stored,
    RevealLevel reveal, std::string_view fingerprint, const KeyCache::Key& hash_key,
    const ItemPolicy& policy) {
  DetokenizeResult out;
  out.token = token;
  out.reveal = reveal;
  if (!fingerprint.empty()) out.fingerprint = crypto::HexEncode(fingerprint);
  if (!stored.ok()) {
    out.status = absl::NotFoundError("unknown token");
    return out;
  }
  absl::StatusOr<records::TokenRecord> record = TokenTable::Parse(*stored);
  if (!record.ok()) return record.status();
  if (record->revoked()) {
    out.status = absl::NotFoundError("unknown token");
    return out;
  }
  absl::StatusOr<DataType> type = ParseDataType(record->type());
  if (!type.ok()) return absl::DataLossError("token record has an unknown type");
  out.type = *type;
  out.subject = record->subject();
  // Authorization comes first: a caller who may not see this type learns
  // nothing more about the token, not even whether it expired.
  if (policy) {
    absl::Status allowed = policy(*type, record->subject());
    if (!allowed.ok()) {
      out.status = allowed;
      return out;
    }
  }
  absl::StatusOr<std::optional<std::string>> plain = OpenRecord(tenant, fingerprint, *record, &out);
  if (!plain.ok()) return plain.status();
  if (!plain->has_value()) return out;  // GONE or EXPIRED

  if (record->format() == TokenFormatName(TokenFormat::kField)) {
    RETURN_IF_ERROR(RevealFieldToken(tenant, *record, *type, reveal, policy, &out));
    return out;
  }
  absl::StatusOr<std::string> revealed = RevealValue(*type, **plain, reveal, hash_key.get());
  crypto::SecureWipe(**plain);
  if (!revealed.ok()) return revealed.status();
  out.value = std::move(*revealed);
  return out;
}

absl::StatusOr<std::optional<std::string>> TokenService::OpenRecord(
    std::string_view tenant, std::string_view fingerprint, const records::TokenRecord& record,
    DetokenizeResult* out) {
  // The data key the record was made under must still exist: otherwise the
  // subject was erased (or its key replaced), and the answer is GONE.
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, record.subject());
  if (!dek.ok()) {
    if (IsMissing(dek.status()) && record.subject().empty()) {
      return absl::DataLossError("tenant data key is missing");
    }
    if (absl::IsNotFound(dek.status())) {
      out->status = GoneError("the subject was erased");
      return std::nullopt;
    }
    return dek.status();
  }
  if ((*dek)->dek_id != record.dek_id()) {
    out->status = GoneError("the subject was erased");
    return std::nullopt;
  }
  absl::StatusOr<std::string> plain = crypto::XChaCha20Poly1305::Decrypt(
      (*dek)->key, record.ciphertext(),
      TokenRecordAd(tenant, fingerprint, record.subject(), record.type(), (*dek)->dek_id,
                    record.format(), record.field(), record.expires_at_unix_ms()));
  if (!plain.ok()) return absl::DataLossError("token record failed authentication");
  if (record.expires_at_unix_ms() != 0 &&
      absl::ToUnixMillis(options_.clock->Now()) >= record.expires_at_unix_ms()) {
    crypto::SecureWipe(*plain);
    out->status = ExpiredError("token has expired");
    return std::nullopt;
  }
  return std::optional<std::string>(std::move(*plain));
}

absl::Status TokenService::RevealFieldToken(std::string_view tenant,
                                            const records::TokenRecord& record, DataType type,
                                            RevealLevel reveal, const ItemPolicy& policy,
                                            DetokenizeResult* out) {
  const RevealLevel read_at = reveal == RevealLevel::kTokenOnly ? RevealLevel::kMasked : reveal;
  absl::StatusOr<std::map<std::string, RevealedField>> fields =
      options_.subjects->ReadFields(tenant, record.subject(), {record.field()}, read_at);
  if (!fields.ok()) return fields.status();
  auto it = fields->find(record.field());
  if (it == fields->end()) {
    out->status = absl::NotFoundError("unknown token");
    return absl::OkStatus();
  }
  if (it->second.type != type && policy) {  // the field changed type since
    absl::Status allowed = policy(it->second.type, record.subject());
    if (!allowed.ok()) {
      out->status = allowed;
      return absl::OkStatus();
    }
  }
  out->type = it->second.type;
  if (reveal != RevealLevel::kTokenOnly) out->value = std::move(it->second.value);
  return absl::OkStatus();
}

}  // namespace vault
