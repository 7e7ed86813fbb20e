// TokenCodec: how tokens look and how they are keyed in storage. Pure
// functions over tenant subkeys: random tokens, deterministic tokens, field
// tokens, format-preserving card and phone tokens, token fingerprints (the
// storage key) and blind-index hashes.
// Thread-safety: pure; the RandomSource passed in must be safe for the caller.
// Never logs; tokens are not personal data, but values passed in are.
#ifndef VAULT_TOKENS_TOKEN_CODEC_H_
#define VAULT_TOKENS_TOKEN_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "vault/model/data_types.h"

namespace vault {

enum class TokenFormat { kRandom, kDeterministic, kFormatPreserving, kField };

std::string_view TokenFormatName(TokenFormat format);
// INVALID_ARGUMENT for anything but random, deterministic, format_preserving
// ("" means random). kField is internal and cannot be asked for.
[[nodiscard]] absl::StatusOr<TokenFormat> ParseTokenFormat(std::string_view name);

inline constexpr std::string_view kTokenPrefix = "tok_";

// "tok_" + 22 base64url characters: 128 bits from `random`.
std::string RandomToken(crypto::RandomSource& random);

// "tok_" + 128-bit keyed BLAKE2b of (type, normalised value, subject) under
// the tenant token key: equal inputs give equal tokens within the tenant.
// `generation` > 0 derives the token that replaces generation - 1 once that
// one was revoked (a revoked token string is never issued again).
[[nodiscard]] absl::StatusOr<std::string> DeterministicToken(const crypto::SecretBytes& token_key,
                                                             DataType type,
                                                             std::string_view normalized,
                                                             std::string_view subject,
                                                             uint32_t generation = 0);

// The stable token that stands for a subject's field (whatever its value)
// for as long as the subject keeps its data key `dek_id`: a subject id that
// is reused after an erasure gets new field tokens.
[[nodiscard]] absl::StatusOr<std::string> FieldToken(const crypto::SecretBytes& token_key,
                                                     std::string_view subject,
                                                     std::string_view field,
                                                     std::string_view dek_id);

// The associated data of a token record: everything the record claims.
std::string TokenRecordAd(std::string_view tenant, std::string_view fingerprint,
                          std::string_view subject, std::string_view type, std::string_view dek_id,
                          std::string_view format, std::string_view field,
                          int64_t expires_at_unix_ms);

// Format-preserving tokens. bank_card: same length, last four kept,
// Luhn-valid, never equal to the input. phone: "+", same country code, same
// first national digit and last four, same length, never equal to the input.
// INVALID_ARGUMENT for other types or numbers too short to vary.
[[nodiscard]] absl::StatusOr<std::string> FormatPreservingToken(DataType type,
                                                                std::string_view normalized,
                                                                crypto::RandomSource& random);

// The bucket of format-preserving phone tokens a number draws from: every
// number with the same country code, kept front digits, last four and
// length shares its `size` candidates (10^k for k varied digits, k >= 3).
// `PhoneTokenAt(phone, i)` is candidate i (0 <= i < size) of that bucket;
// one of them may equal the input, which the caller skips.
struct PhoneTokenBucket {
  uint64_t size = 0;
  size_t varied_digits = 0;
};
[[nodiscard]] absl::StatusOr<PhoneTokenBucket> PhoneTokenBucketOf(std::string_view phone);
[[nodiscard]] absl::StatusOr<std::string> PhoneTokenAt(std::string_view phone, uint64_t index);

// Whether `token` has a shape any format could produce (cheap pre-check).
bool LooksLikeToken(std::string_view token);

// The storage key of a token: 16-byte keyed BLAKE2b under the tenant's
// token key (domain-separated from token generation).
[[nodiscard]] absl::StatusOr<std::string> TokenFingerprint(const crypto::SecretBytes& token_key,
                                                           std::string_view token);

// The blind-index hash of a value: 32-byte keyed BLAKE2b of (type,
// normalised value) under the tenant's blind-index key.
[[nodiscard]] absl::StatusOr<std::string> BlindIndexHash(const crypto::SecretBytes& index_key,
                                                         DataType type,
                                                         std::string_view normalized);

}  // namespace vault

#endif  // VAULT_TOKENS_TOKEN_CODEC_H_
