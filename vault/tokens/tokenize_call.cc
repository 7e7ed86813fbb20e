// TokenizeCall implementation: TokenService::Tokenize, step by step.
#include "vault/tokens/internal/tokenize_call.h"

#include <algorithm>

#include "absl/time/civil_time.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/model/record_keys.h"

namespace vault::tokens_internal {
namespace {

constexpr int64_t kMaxTtlSeconds = 100LL * 366 * 24 * 3600;
constexpr int kFormatPreservingAttempts = 32;
constexpr uint32_t kMaxDeterministicGenerations = 64;
// Phone buckets up to this size are searched exhaustively once random draws
// fail (numbers with at most 4 varied digits); larger ones cannot fill up in
// practice and answer RESOURCE_EXHAUSTED after the random draws.
constexpr uint64_t kExhaustivePhoneBucket = 10000;

// Item checks that need no normalisation.
absl::Status CheckItemShape(const TokenizeItem& item, DataType type, TokenFormat format) {
  if (!item.subject.empty()) {
    RETURN_IF_ERROR(ValidateSubjectId(item.subject));
  }
  if (item.ttl_seconds < 0 || item.ttl_seconds > kMaxTtlSeconds) {
    return absl::InvalidArgumentError(
        "ttl_seconds must be 0 or a positive number of seconds up to 100 years");
  }
  if (format == TokenFormat::kFormatPreserving && type != DataType::kBankCard &&
      type != DataType::kPhone) {
    return absl::InvalidArgumentError(
        "format_preserving tokens exist only for bank_card and phone");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ItemError(size_t i, const absl::Status& s) {
  return absl::Status(s.code(), Cat("items[", i, "]: ", s.message()));
}

int64_t LongerLife(int64_t a, int64_t b) { return (a == 0 || b == 0) ? 0 : std::max(a, b); }

TokenizeCall::TokenizeCall(const TokenServiceOptions& options, TokenReservations& reservations,
                           SubjectLocks& token_locks, std::string_view tenant)
    : options_(options),
      reservations_(reservations),
      token_locks_(token_locks),
      tenant_(tenant),
      table_(options.kv) {}

TokenizeCall::~TokenizeCall() { reservations_.Release(reserved_); }

absl::StatusOr<std::vector<TokenizeResult>> TokenizeCall::Run(
    const std::vector<TokenizeItem>& items, const std::vector<AuditEvent>* audit) {
  RETURN_IF_ERROR(Prepare(items));
  absl::StatusOr<KeyCache::Key> token_key =
      options_.keys->GetTenantSubkey(tenant_, TenantSubkey::kToken);
  if (!token_key.ok()) return token_key.status();
  token_key_ = std::move(*token_key);
  RETURN_IF_ERROR(LoadDataKeys());
  RETURN_IF_ERROR(PlanDeterministic(items));

  std::vector<TokenizeResult> results;
  results.reserve(items.size());
  std::set<std::string> new_fingerprints;
  for (size_t i = 0; i < items.size(); ++i) {
    const PreparedItem& p = prepared_[i];
    absl::StatusOr<MintedToken> minted = Mint(i);
    if (!minted.ok()) return minted.status();
    int64_t expires_at = p.expires_at_ms;
    if (p.format == TokenFormat::kDeterministic) {
      if (new_fingerprints.count(minted->fingerprint) != 0) {
        results.push_back({std::move(minted->token), p.type});  // already in this batch
        continue;
      }
      absl::StatusOr<int64_t> life = DeterministicLife(i, minted->fingerprint);
      if (!life.ok()) return life.status();
      expires_at = *life;
    }
    new_fingerprints.insert(minted->fingerprint);
    RETURN_IF_ERROR(Stage(i, items[i].subject, minted->fingerprint, expires_at));
    results.push_back({std::move(minted->token), p.type});
  }
  // Holding no stripe (random tokens of existing keys, the hot case), the
  // request may give its thread back while its group is written.
  const CommitWait wait =
      subject_locks_.empty() && token_stripes_.empty() ? CommitWait::kMayPark : CommitWait::kBlock;
  RETURN_IF_ERROR(options_.committer->Commit(batch_, audit, wait));
  return results;
}

absl::Status TokenizeCall::Prepare(const std::vector<TokenizeItem>& items) {
  prepared_.reserve(items.size());
  now_ = options_.clock->Now();
  const ValidationContext ctx{absl::ToCivilDay(now_, absl::UTCTimeZone())};
  for (size_t i = 0; i < items.size(); ++i) {
    const TokenizeItem& item = items[i];
    absl::StatusOr<DataType> type = ParseDataType(item.type);
    if (!type.ok()) return ItemError(i, type.status());
    absl::StatusOr<TokenFormat> format = ParseTokenFormat(item.format);
    if (!format.ok()) return ItemError(i, format.status());
    if (absl::Status s = CheckItemShape(item, *type, *format); !s.ok()) return ItemError(i, s);
    absl::StatusOr<std::string> normalized = Normalize(*type, item.value, ctx);
    if (!normalized.ok()) return ItemError(i, normalized.status());
    const int64_t expires =
        item.ttl_seconds == 0 ? 0 : absl::ToUnixMillis(now_ + absl::Seconds(item.ttl_seconds));
    prepared_.push_back({*type, *format, std::move(*normalized), expires});
    subjects_.insert(item.subject);
  }
  return absl::OkStatus();
}

absl::Status TokenizeCall::LoadDataKeys() {
  // Existing data keys need no lock (they never change while they exist);
  // only subjects whose key must be created are locked, so concurrent
  // tokenize calls run in parallel and share synced writes.
  std::vector<std::string> to_create;
  for (const std::string& subject : subjects_) {
    absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant_, subject);
    if (dek.ok()) {
      deks_.emplace(subject, std::move(*dek));
    } else if (IsMissing(dek.status())) {
      to_create.push_back(subject);
    } else {
      return dek.status();
    }
  }
  subject_locks_ = options_.locks->LockMany(tenant_, to_create);
  for (const std::string& subject : to_create) {
    absl::StatusOr<DataKeyHandle> dek =
        options_.subject_keys->GetOrCreate(tenant_, subject, &batch_);
    if (!dek.ok()) return dek.status();
    deks_.emplace(subject, std::move(*dek));
  }
  return absl::OkStatus();
}

absl::Status TokenizeCall::PlanDeterministic(const std::vector<TokenizeItem>& items) {
  // A revoked token is skipped for the next generation of the same input,
  // so a revocation is recoverable and its string is never issued again; a
  // revocation of a planned one waits for this call (its stripe is held).
  deterministic_.resize(items.size());
  std::vector<std::string> fingerprints;
  for (size_t i = 0; i < items.size(); ++i) {
    const PreparedItem& p = prepared_[i];
    if (p.format != TokenFormat::kDeterministic) continue;
    absl::StatusOr<MintedToken> made =
        CurrentDeterministicToken(p.type, p.normalized, items[i].subject);
    if (!made.ok()) return ItemError(i, made.status());
    deterministic_[i] = std::move(made->token);
    auto [it, inserted] = batch_expiry_.emplace(made->fingerprint, p.expires_at_ms);
    if (!inserted) it->second = LongerLife(it->second, p.expires_at_ms);
    fingerprints.push_back(std::move(made->fingerprint));
  }
  token_stripes_ = token_locks_.LockMany(tenant_, fingerprints);
  return absl::OkStatus();
}

absl::StatusOr<MintedToken> TokenizeCall::Mint(size_t i) {
  const PreparedItem& p = prepared_[i];
  if (p.format == TokenFormat::kFormatPreserving) {
    absl::StatusOr<MintedToken> drawn = DrawFormatPreserving(p.type, p.normalized);
    if (!drawn.ok()) return ItemError(i, drawn.status());
    return drawn;
  }
  MintedToken minted;
  minted.token =
      p.format == TokenFormat::kDeterministic ? deterministic_[i] : RandomToken(*options_.random);
  absl::StatusOr<std::string> fp = TokenFingerprint(*token_key_, minted.token);
  if (!fp.ok()) return fp.status();
  minted.fingerprint = std::move(*fp);
  return minted;
}

absl::StatusOr<int64_t> TokenizeCall::DeterministicLife(size_t i, const std::string& fingerprint) {
  int64_t expires_at = batch_expiry_[fingerprint];
  // One record serves every caller of this value: keep the longest life
  // (0 = never) and never revive a revoked token.
  absl::StatusOr<records::TokenRecord> old = table_.Get(tenant_, fingerprint);
  if (!old.ok()) {
    if (absl::IsNotFound(old.status())) return expires_at;
    return old.status();
  }
  if (old->revoked()) {  // revoked since CurrentDeterministicToken looked
    return ItemError(i, absl::AbortedError("the deterministic token for this value was revoked "
                                           "while this call ran; retry"));
  }
  const int64_t old_expiry = old->expires_at_unix_ms();
  const bool old_live = old_expiry == 0 || old_expiry > absl::ToUnixMillis(now_);
  return old_live ? LongerLife(expires_at, old_expiry) : expires_at;
}

absl::Status TokenizeCall::Stage(size_t i, const std::string& subject,
                                 const std::string& fingerprint, int64_t expires_at) {
  const PreparedItem& p = prepared_[i];
  const DataKey& dek = *deks_.find(subject)->second;
  TokenClaims claims;
  claims.tenant = tenant_;
  claims.fingerprint = fingerprint;
  claims.subject = subject;
  claims.type = DataTypeName(p.type);
  claims.format = TokenFormatName(p.format);
  claims.expires_at_unix_ms = expires_at;
  return TokenTable::StagePut(claims, TokenSealKey{dek.key, dek.dek_id}, p.normalized,
                              absl::ToUnixMillis(now_), *options_.random, &batch_);
}

absl::StatusOr<MintedToken> TokenizeCall::CurrentDeterministicToken(DataType type,
                                                                    std::string_view normalized,
                                                                    std::string_view subject) {
  for (uint32_t generation = 0; generation < kMaxDeterministicGenerations; ++generation) {
    absl::StatusOr<std::string> token =
        DeterministicToken(*token_key_, type, normalized, subject, generation);
    if (!token.ok()) return token.status();
    absl::StatusOr<std::string> fp = TokenFingerprint(*token_key_, *token);
    if (!fp.ok()) return fp.status();
    absl::StatusOr<records::TokenRecord> existing = table_.Get(tenant_, *fp);
    if (absl::IsNotFound(existing.status())) return MintedToken{std::move(*token), std::move(*fp)};
    if (!existing.ok()) return existing.status();
    if (!existing->revoked()) return MintedToken{std::move(*token), std::move(*fp)};
  }
  return absl::FailedPreconditionError(Cat("the deterministic token for this value was revoked ",
                                           kMaxDeterministicGenerations,
                                           " times; use a random token"));
}

absl::StatusOr<std::string> TokenizeCall::Take(const std::string& candidate) {
  absl::StatusOr<std::string> fp = TokenFingerprint(*token_key_, candidate);
  if (!fp.ok()) return fp.status();
  const std::string key = TokenKey(tenant_, *fp);
  if (!reservations_.TryReserve(key)) return std::string();
  absl::StatusOr<bool> used = table_.Contains(tenant_, *fp);
  if (!used.ok() || *used) {
    reservations_.Release({key});
    if (used.ok()) return std::string();  // in use: draw again
    return used.status();
  }
  reserved_.push_back(key);
  return std::move(*fp);
}

absl::StatusOr<MintedToken> TokenizeCall::DrawFormatPreserving(DataType type,
                                                               std::string_view normalized) {
  for (int attempt = 0; attempt < kFormatPreservingAttempts; ++attempt) {
    absl::StatusOr<std::string> candidate =
        FormatPreservingToken(type, normalized, *options_.random);
    if (!candidate.ok()) return candidate.status();
    absl::StatusOr<std::string> fp = Take(*candidate);
    if (!fp.ok()) return fp.status();
    if (!fp->empty()) return MintedToken{std::move(*candidate), std::move(*fp)};
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
    absl::StatusOr<std::string> fp = Take(*candidate);
    if (!fp.ok()) return fp.status();
    if (!fp->empty()) return MintedToken{std::move(*candidate), std::move(*fp)};
  }
  return absl::ResourceExhaustedError(
      Cat("format-preserving phone tokens for this number are used up (", bucket->size - 1,
          " per country code, kept leading digits, last four digits and length); use a random "
          "or deterministic token"));
}

}  // namespace vault::tokens_internal
