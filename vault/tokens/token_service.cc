// TokenService implementation.
#include "vault/tokens/token_service.h"

#include <map>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/time/civil_time.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "vault/model/record_keys.h"
#include "vault/model/records.pb.h"
#include "base/status.h"
#include "base/strings.h"

namespace vault {
namespace {

constexpr int64_t kMaxTtlSeconds = 100LL * 366 * 24 * 3600;
constexpr int kFormatPreservingAttempts = 32;
constexpr uint32_t kMaxDeterministicGenerations = 64;
// Phone buckets up to this size are searched exhaustively once random draws
// fail (numbers with at most 4 varied digits); larger ones cannot fill up in
// practice and answer RESOURCE_EXHAUSTED after the random draws.
constexpr uint64_t kExhaustivePhoneBucket = 10000;
constexpr size_t kMaxTokenLength = 64;

absl::Status ItemError(size_t i, const absl::Status& s) {
  return absl::Status(s.code(), Cat("items[", i, "]: ", s.message()));
}

}  // namespace

absl::Status TokenService::CheckTenant(std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (options_.keys->sealed()) return SealedError();
  return options_.keys->GetTenant(tenant).status();
}

absl::StatusOr<std::vector<TokenizeResult>> TokenService::Tokenize(
    std::string_view tenant, const std::vector<TokenizeItem>& items,
    const std::vector<AuditEvent>* audit) {
  if (absl::Status s = CheckTenant(tenant); !s.ok()) return s;
  if (items.empty()) return absl::InvalidArgumentError("items: at least one item is required");
  if (items.size() > options_.max_batch) {
    return absl::InvalidArgumentError(Cat("items: at most ", options_.max_batch, " per call"));
  }

  struct Prepared {
    DataType type;
    TokenFormat format;
    std::string normalized;
    int64_t expires_at_ms;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(items.size());
  const absl::Time now = options_.clock->Now();
  const ValidationContext ctx{absl::ToCivilDay(now, absl::UTCTimeZone())};
  std::set<std::string> subjects;
  for (size_t i = 0; i < items.size(); ++i) {
    const TokenizeItem& item = items[i];
    absl::StatusOr<DataType> type = ParseDataType(item.type);
    if (!type.ok()) return ItemError(i, type.status());
    absl::StatusOr<TokenFormat> format = ParseTokenFormat(item.format);
    if (!format.ok()) return ItemError(i, format.status());
    if (!item.subject.empty()) {
      if (absl::Status s = ValidateSubjectId(item.subject); !s.ok()) return ItemError(i, s);
    }
    if (item.ttl_seconds < 0 || item.ttl_seconds > kMaxTtlSeconds) {
      return ItemError(i, absl::InvalidArgumentError("ttl_seconds must be 0 or a positive "
                                                     "number of seconds up to 100 years"));
    }
    if (*format == TokenFormat::kFormatPreserving && *type != DataType::kBankCard &&
        *type != DataType::kPhone) {
      return ItemError(i, absl::InvalidArgumentError(
                              "format_preserving tokens exist only for bank_card and phone"));
    }
    absl::StatusOr<std::string> normalized = Normalize(*type, item.value, ctx);
    if (!normalized.ok()) return ItemError(i, normalized.status());
    const int64_t expires =
        item.ttl_seconds == 0 ? 0 : absl::ToUnixMillis(now + absl::Seconds(item.ttl_seconds));
    prepared.push_back({*type, *format, std::move(*normalized), expires});
    subjects.insert(item.subject);  // "" stands for the tenant-level key
  }

  absl::StatusOr<KeyCache::Key> token_key =
      options_.keys->GetTenantSubkey(tenant, TenantSubkey::kToken);
  if (!token_key.ok()) return token_key.status();

  // Existing data keys need no lock (they never change while they exist);
  // only subjects whose key must be created are locked, so concurrent
  // tokenize calls run in parallel and share synced writes.
  storage::WriteBatch batch;
  std::map<std::string, DataKeyHandle, std::less<>> deks;
  std::vector<std::string> to_create;
  for (const std::string& subject : subjects) {
    absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, subject);
    if (dek.ok()) {
      deks.emplace(subject, std::move(*dek));
    } else if (absl::IsNotFound(dek.status()) && !IsGone(dek.status())) {
      to_create.push_back(subject);
    } else {
      return dek.status();
    }
  }
  std::vector<std::unique_lock<std::mutex>> locks = options_.locks->LockMany(tenant, to_create);
  for (const std::string& subject : to_create) {
    absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->GetOrCreate(tenant, subject, &batch);
    if (!dek.ok()) return dek.status();
    deks.emplace(subject, std::move(*dek));
  }
  // Format-preserving tokens drawn by this call are reserved until its
  // commit is over: no lock is held across the commit.
  std::vector<std::string> reserved;
  absl::Cleanup release_reserved = [&] { reservations_.Release(reserved); };
  // Deterministic tokens are computed up front so their stripes can be
  // locked in one go (a revocation of one of them waits for this call).
  // A revoked one is skipped for the next generation of the same input, so
  // a revocation is recoverable and its string is never issued again.
  std::vector<std::string> deterministic(items.size());
  std::vector<std::string> deterministic_fps;
  // Per token in this batch, the longest life any of its items asks for
  // (0 = never expires): a repeated value never shortens the shared token.
  std::map<std::string, int64_t> batch_expiry;
  for (size_t i = 0; i < items.size(); ++i) {
    if (prepared[i].format != TokenFormat::kDeterministic) continue;
    absl::StatusOr<std::pair<std::string, std::string>> made =
        CurrentDeterministicToken(tenant, **token_key, prepared[i].type, prepared[i].normalized,
                                  items[i].subject);
    if (!made.ok()) return ItemError(i, made.status());
    deterministic[i] = std::move(made->first);
    auto [it, inserted] = batch_expiry.emplace(made->second, prepared[i].expires_at_ms);
    if (!inserted) {
      it->second = (it->second == 0 || prepared[i].expires_at_ms == 0)
                       ? 0
                       : std::max(it->second, prepared[i].expires_at_ms);
    }
    deterministic_fps.push_back(std::move(made->second));
  }
  std::vector<std::unique_lock<std::mutex>> token_locks =
      token_locks_.LockMany(tenant, deterministic_fps);

  std::vector<TokenizeResult> results;
  results.reserve(items.size());
  std::set<std::string> new_fingerprints;
  const int64_t now_ms = absl::ToUnixMillis(now);
  for (size_t i = 0; i < items.size(); ++i) {
    const Prepared& p = prepared[i];
    const std::string& subject = items[i].subject;
    std::string token;
    std::string fingerprint;
    if (p.format == TokenFormat::kFormatPreserving) {
      absl::StatusOr<std::pair<std::string, std::string>> drawn =
          DrawFormatPreserving(tenant, **token_key, p.type, p.normalized, &reserved);
      if (!drawn.ok()) return ItemError(i, drawn.status());
      token = std::move(drawn->first);
      fingerprint = std::move(drawn->second);
    } else {
      absl::StatusOr<std::string> made =
          p.format == TokenFormat::kDeterministic
              ? absl::StatusOr<std::string>(deterministic[i])
              : absl::StatusOr<std::string>(RandomToken(*options_.random));
      if (!made.ok()) return made.status();
      token = std::move(*made);
      absl::StatusOr<std::string> fp = TokenFingerprint(**token_key, token);
      if (!fp.ok()) return fp.status();
      fingerprint = std::move(*fp);
    }
    int64_t expires_at = p.expires_at_ms;
    if (p.format == TokenFormat::kDeterministic && new_fingerprints.count(fingerprint) != 0) {
      results.push_back({std::move(token), p.type});  // already in this batch
      continue;
    }
    if (p.format == TokenFormat::kDeterministic) {
      expires_at = batch_expiry[fingerprint];
      // One record serves every caller of this value: keep the longest life
      // (0 = never) and never revive a revoked token.
      absl::StatusOr<std::string> existing =
          options_.kv->Get(storage::Table::kTokens, TokenKey(tenant, fingerprint));
      if (existing.ok()) {
        records::TokenRecord old;
        if (!old.ParseFromString(*existing)) return absl::DataLossError("token record is corrupt");
        if (old.revoked()) {  // revoked since CurrentDeterministicToken looked
          return ItemError(i, absl::AbortedError(
                                  "the deterministic token for this value was revoked while "
                                  "this call ran; retry"));
        }
        const bool old_live = old.expires_at_unix_ms() == 0 ||
                              old.expires_at_unix_ms() > absl::ToUnixMillis(now);
        if (old_live && (old.expires_at_unix_ms() == 0 || expires_at == 0)) {
          expires_at = 0;
        } else if (old_live) {
          expires_at = std::max(expires_at, old.expires_at_unix_ms());
        }
      } else if (!absl::IsNotFound(existing.status())) {
        return existing.status();
      }
    }
    new_fingerprints.insert(fingerprint);

    const DataKey& dek = *deks.find(subject)->second;
    const std::string type_name(DataTypeName(p.type));
    const std::string format_name(TokenFormatName(p.format));
    absl::StatusOr<std::string> ciphertext = crypto::XChaCha20Poly1305::Encrypt(
        dek.key, p.normalized,
        TokenRecordAd(tenant, fingerprint, subject, type_name, dek.dek_id, format_name, "",
                      expires_at),
        *options_.random);
    if (!ciphertext.ok()) return ciphertext.status();
    records::TokenRecord record;
    record.set_type(type_name);
    record.set_format(format_name);
    record.set_subject(subject);
    record.set_dek_id(dek.dek_id);
    record.set_ciphertext(std::move(*ciphertext));
    record.set_created_at_unix_ms(now_ms);
    record.set_expires_at_unix_ms(expires_at);
    batch.Put(storage::Table::kTokens, TokenKey(tenant, fingerprint), record.SerializeAsString());
    results.push_back({std::move(token), p.type});
  }
  if (absl::Status s = options_.committer->Commit(batch, audit); !s.ok()) return s;
  return results;
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

absl::StatusOr<std::pair<std::string, std::string>> TokenService::DrawFormatPreserving(
    std::string_view tenant, const crypto::SecretBytes& token_key, DataType type,
    std::string_view normalized, std::vector<std::string>* reserved) {
  // Takes `candidate` if no token in storage or in flight uses it.
  auto take = [&](const std::string& candidate) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> fp = TokenFingerprint(token_key, candidate);
    if (!fp.ok()) return fp.status();
    std::string key = TokenKey(tenant, *fp);
    if (!reservations_.TryReserve(key)) return std::string();
    absl::StatusOr<std::string> existing = options_.kv->Get(storage::Table::kTokens, key);
    if (existing.ok() || !absl::IsNotFound(existing.status())) {
      reservations_.Release({key});
      if (existing.ok()) return std::string();  // in use: draw again
      return existing.status();
    }
    reserved->push_back(std::move(key));
    return std::move(*fp);
  };
  for (int attempt = 0; attempt < kFormatPreservingAttempts; ++attempt) {
    absl::StatusOr<std::string> candidate =
        FormatPreservingToken(type, normalized, *options_.random);
    if (!candidate.ok()) return candidate.status();
    absl::StatusOr<std::string> fp = take(*candidate);
    if (!fp.ok()) return fp.status();
    if (!fp->empty()) return std::make_pair(std::move(*candidate), std::move(*fp));
  }
  if (type != DataType::kPhone) {
    return absl::ResourceExhaustedError("no unused format-preserving token could be drawn");
  }
  // Short national numbers vary only a few digits: once random draws keep
  // hitting used tokens, walk the whole bucket from a random place, so the
  // answer is either a free token or a definite "full".
  absl::StatusOr<PhoneTokenBucket> bucket = PhoneTokenBucketOf(normalized);
  if (!bucket.ok()) return bucket.status();
  if (bucket->size > kExhaustivePhoneBucket) {
    return absl::ResourceExhaustedError("no unused format-preserving token could be drawn");
  }
  const uint64_t start = options_.random->Uniform(static_cast<uint32_t>(bucket->size));
  for (uint64_t k = 0; k < bucket->size; ++k) {
    absl::StatusOr<std::string> candidate = PhoneTokenAt(normalized, (start + k) % bucket->size);
    if (!candidate.ok()) return candidate.status();
    if (*candidate == normalized) continue;
    absl::StatusOr<std::string> fp = take(*candidate);
    if (!fp.ok()) return fp.status();
    if (!fp->empty()) return std::make_pair(std::move(*candidate), std::move(*fp));
  }
  return absl::ResourceExhaustedError(
      Cat("format-preserving phone tokens for this number are used up (", bucket->size - 1,
          " per country code, kept leading digits, last four digits and length); use a random "
          "or deterministic token"));
}

absl::StatusOr<std::pair<std::string, std::string>> TokenService::CurrentDeterministicToken(
    std::string_view tenant, const crypto::SecretBytes& token_key, DataType type,
    std::string_view normalized, std::string_view subject) {
  for (uint32_t generation = 0; generation < kMaxDeterministicGenerations; ++generation) {
    absl::StatusOr<std::string> token =
        DeterministicToken(token_key, type, normalized, subject, generation);
    if (!token.ok()) return token.status();
    absl::StatusOr<std::string> fp = TokenFingerprint(token_key, *token);
    if (!fp.ok()) return fp.status();
    absl::StatusOr<std::string> existing =
        options_.kv->Get(storage::Table::kTokens, TokenKey(tenant, *fp));
    if (absl::IsNotFound(existing.status())) {
      return std::make_pair(std::move(*token), std::move(*fp));
    }
    if (!existing.ok()) return existing.status();
    records::TokenRecord old;
    if (!old.ParseFromString(*existing)) return absl::DataLossError("token record is corrupt");
    if (!old.revoked()) return std::make_pair(std::move(*token), std::move(*fp));
  }
  return absl::FailedPreconditionError(
      Cat("the deterministic token for this value was revoked ", kMaxDeterministicGenerations,
          " times; use a random token"));
}

absl::StatusOr<DetokenizeResult> TokenService::Resolve(
    std::string_view tenant, const std::string& token, const absl::StatusOr<std::string>& stored,
    RevealLevel reveal, std::string_view fingerprint, const KeyCache::Key& hash_key,
    const ItemPolicy& policy) {
  DetokenizeResult out;
  out.token = token;
  out.reveal = reveal;
  if (!fingerprint.empty()) out.fingerprint = crypto::HexEncode(fingerprint);
  records::TokenRecord record;
  if (!stored.ok()) {
    out.status = absl::NotFoundError("unknown token");
    return out;
  }
  if (!record.ParseFromString(*stored)) return absl::DataLossError("token record is corrupt");
  if (record.revoked()) {
    out.status = absl::NotFoundError("unknown token");
    return out;
  }
  absl::StatusOr<DataType> type = ParseDataType(record.type());
  if (!type.ok()) return absl::DataLossError("token record has an unknown type");
  out.type = *type;
  out.subject = record.subject();
  // Authorization comes first: a caller who may not see this type learns
  // nothing more about the token, not even whether it expired.
  if (policy) {
    absl::Status allowed = policy(*type);
    if (!allowed.ok()) {
      out.status = allowed;
      return out;
    }
  }
  out.type = *type;
  out.subject = record.subject();

  // The data key the record was made under must still exist: otherwise the
  // subject was erased (or its key replaced), and the answer is GONE.
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, record.subject());
  if (!dek.ok()) {
    if (absl::IsNotFound(dek.status()) && !IsGone(dek.status()) && record.subject().empty()) {
      return absl::DataLossError("tenant data key is missing");
    }
    if (absl::IsNotFound(dek.status())) {
      out.status = GoneError("the subject was erased");
      return out;
    }
    return dek.status();
  }
  if ((*dek)->dek_id != record.dek_id()) {
    out.status = GoneError("the subject was erased");
    return out;
  }
  absl::StatusOr<std::string> plain = crypto::XChaCha20Poly1305::Decrypt(
      (*dek)->key, record.ciphertext(),
      TokenRecordAd(tenant, fingerprint, record.subject(), record.type(), (*dek)->dek_id,
                    record.format(), record.field(), record.expires_at_unix_ms()));
  if (!plain.ok()) return absl::DataLossError("token record failed authentication");
  if (record.expires_at_unix_ms() != 0 &&
      absl::ToUnixMillis(options_.clock->Now()) >= record.expires_at_unix_ms()) {
    out.status = ExpiredError("token has expired");
    return out;
  }

  if (record.format() == TokenFormatName(TokenFormat::kField)) {
    const RevealLevel read_at = reveal == RevealLevel::kTokenOnly ? RevealLevel::kMasked : reveal;
    absl::StatusOr<std::map<std::string, RevealedField>> fields =
        options_.subjects->ReadFields(tenant, record.subject(), {record.field()}, read_at);
    if (!fields.ok()) return fields.status();
    auto it = fields->find(record.field());
    if (it == fields->end()) {
      out.status = absl::NotFoundError("unknown token");
      return out;
    }
    if (it->second.type != *type && policy) {  // the field changed type since
      absl::Status allowed = policy(it->second.type);
      if (!allowed.ok()) {
        out.status = allowed;
        return out;
      }
    }
    out.type = it->second.type;
    if (reveal != RevealLevel::kTokenOnly) out.value = std::move(it->second.value);
    return out;
  }

  absl::StatusOr<std::string> revealed = RevealValue(*type, *plain, reveal, hash_key.get());
  crypto::SecureWipe(*plain);
  if (!revealed.ok()) return revealed.status();
  out.value = std::move(*revealed);
  return out;
}

absl::StatusOr<std::vector<DetokenizeResult>> TokenService::Detokenize(
    std::string_view tenant, const std::vector<std::string>& tokens, RevealLevel reveal,
    const ItemPolicy& policy) {
  if (absl::Status s = CheckTenant(tenant); !s.ok()) return s;
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
  std::vector<std::string> keys;
  std::vector<size_t> key_of(tokens.size(), SIZE_MAX);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].size() > kMaxTokenLength || !LooksLikeToken(tokens[i])) continue;
    absl::StatusOr<std::string> fp = TokenFingerprint(**token_key, tokens[i]);
    if (!fp.ok()) return fp.status();
    fingerprints[i] = std::move(*fp);
    key_of[i] = keys.size();
    keys.push_back(TokenKey(tenant, fingerprints[i]));
  }
  std::vector<absl::StatusOr<std::string>> stored =
      options_.kv->MultiGet(storage::Table::kTokens, keys);
  for (const absl::StatusOr<std::string>& s : stored) {
    if (!s.ok() && !absl::IsNotFound(s.status())) return s.status();  // fail closed
  }
  const absl::StatusOr<std::string> missing = absl::NotFoundError("unknown token");
  std::vector<DetokenizeResult> results;
  results.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const absl::StatusOr<std::string>& s = key_of[i] == SIZE_MAX ? missing : stored[key_of[i]];
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

absl::StatusOr<std::string> TokenService::FingerprintOf(std::string_view tenant,
                                                        std::string_view token) {
  if (absl::Status s = CheckTenant(tenant); !s.ok()) return s;
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
  const std::string key = TokenKey(tenant, *fp);
  absl::StatusOr<std::string> existing = options_.kv->Get(storage::Table::kTokens, key);
  if (!existing.ok()) {
    if (absl::IsNotFound(existing.status())) return absl::NotFoundError("unknown token");
    return existing.status();
  }
  records::TokenRecord record;
  if (!record.ParseFromString(*existing)) return absl::DataLossError("token record is corrupt");
  // Lock the subject (field tokens are rewritten under it) and then the
  // token's stripe, and look again: nothing may overwrite the tombstone.
  std::unique_lock<std::mutex> subject_lock;
  if (!record.subject().empty()) {
    subject_lock = options_.locks->Lock(tenant, record.subject());
  }
  std::unique_lock<std::mutex> token_lock = token_locks_.Lock(tenant, *fp);
  existing = options_.kv->Get(storage::Table::kTokens, key);
  if (!existing.ok()) {
    if (absl::IsNotFound(existing.status())) return absl::NotFoundError("unknown token");
    return existing.status();
  }
  if (!record.ParseFromString(*existing)) return absl::DataLossError("token record is corrupt");
  if (record.revoked()) return absl::NotFoundError("unknown token");
  records::TokenRecord tombstone;
  tombstone.set_type(record.type());
  tombstone.set_format(record.format());
  tombstone.set_subject(record.subject());
  tombstone.set_field(record.field());
  tombstone.set_created_at_unix_ms(absl::ToUnixMillis(options_.clock->Now()));
  tombstone.set_revoked(true);
  storage::WriteBatch batch;
  batch.Put(storage::Table::kTokens, key, tombstone.SerializeAsString());
  return options_.committer->Commit(batch, audit);
}

absl::StatusOr<TokenService::TokenFacts> TokenService::Describe(std::string_view tenant,
                                                                std::string_view token) {
  absl::StatusOr<std::string> fp = FingerprintOf(tenant, token);
  if (!fp.ok()) return fp.status();
  absl::StatusOr<std::string> stored =
      options_.kv->Get(storage::Table::kTokens, TokenKey(tenant, *fp));
  if (!stored.ok()) return stored.status();
  records::TokenRecord record;
  if (!record.ParseFromString(*stored)) return absl::DataLossError("token record is corrupt");
  if (record.revoked()) return absl::NotFoundError("unknown token");
  absl::StatusOr<DataType> type = ParseDataType(record.type());
  if (!type.ok()) return absl::DataLossError("token record has an unknown type");
  return TokenFacts{*type, record.subject()};
}

}  // namespace vault
