// TokenCodec implementation. Every keyed hash input is length-prefixed and
// domain-labelled (AssociatedData), so no two purposes can collide.
#include "vault/tokens/token_codec.h"

#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

constexpr size_t kTokenBytes = 16;

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

char RandomDigit(crypto::RandomSource& random, uint32_t from = 0) {
  return static_cast<char>('0' + from + random.Uniform(10 - from));
}

absl::StatusOr<std::string> CardToken(std::string_view card, crypto::RandomSource& random) {
  const size_t n = card.size();
  if (n < 12 || !IsDigits(card)) return absl::InvalidArgumentError("bank_card: not normalised");
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string out(card);
    out[0] = RandomDigit(random, 1);
    for (size_t i = 1; i + 5 < n; ++i) out[i] = RandomDigit(random);
    // Position n-5 is not doubled by Luhn (it is 4 places from the right),
    // so the digit that completes the checksum is found directly.
    out[n - 5] = '0';
    int sum = 0;
    for (size_t i = 0; i < n; ++i) {
      int d = out[n - 1 - i] - '0';
      if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    out[n - 5] = static_cast<char>('0' + (10 - sum % 10) % 10);
    if (out != card) return out;
  }
  return absl::InternalError("bank_card: could not draw a distinct token");
}

// A phone number's parts and how many front digits its tokens keep.
struct PhoneShape {
  PhoneParts parts;
  size_t keep_front = 1;
};

absl::StatusOr<PhoneShape> ShapeOf(std::string_view phone) {
  absl::StatusOr<PhoneParts> parts = SplitE164(phone);
  if (!parts.ok()) return absl::InvalidArgumentError("phone: not normalised");
  const std::string& national = parts->national_number;
  // Keep the first national digit (the second too for Chinese numbers that
  // start with 1, whose second digit decides mobile or landline).
  const size_t keep_front = parts->country_code == "86" && national[0] == '1' ? 2 : 1;
  if (national.size() < keep_front + 4 + 3) {
    return absl::InvalidArgumentError("phone: too short for a format-preserving token");
  }
  return PhoneShape{std::move(*parts), keep_front};
}

absl::StatusOr<std::string> PhoneToken(std::string_view phone, crypto::RandomSource& random) {
  absl::StatusOr<PhoneShape> shape = ShapeOf(phone);
  if (!shape.ok()) return shape.status();
  const std::string& national = shape->parts.national_number;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string out = national;
    for (size_t i = shape->keep_front; i + 4 < out.size(); ++i) out[i] = RandomDigit(random);
    if (out != national) return Cat("+", shape->parts.country_code, out);
  }
  return absl::InternalError("phone: could not draw a distinct token");
}

}  // namespace

std::string_view TokenFormatName(TokenFormat format) {
  switch (format) {
    case TokenFormat::kRandom: return "random";
    case TokenFormat::kDeterministic: return "deterministic";
    case TokenFormat::kFormatPreserving: return "format_preserving";
    case TokenFormat::kField: return "field";
  }
  return "random";
}

absl::StatusOr<TokenFormat> ParseTokenFormat(std::string_view name) {
  if (name.empty() || name == "random") return TokenFormat::kRandom;
  if (name == "deterministic") return TokenFormat::kDeterministic;
  if (name == "format_preserving") return TokenFormat::kFormatPreserving;
  return absl::InvalidArgumentError("format must be random, deterministic or format_preserving");
}

std::string RandomToken(crypto::RandomSource& random) {
  return Cat(kTokenPrefix, crypto::Base64UrlEncode(random.Bytes(kTokenBytes)));
}

absl::StatusOr<std::string> DeterministicToken(const crypto::SecretBytes& token_key, DataType type,
                                               std::string_view normalized,
                                               std::string_view subject, uint32_t generation) {
  // Generation 0 keeps the original derivation, so tokens issued before
  // generations existed stay what they were.
  const std::string ad =
      generation == 0
          ? AssociatedData("deterministic-token", {DataTypeName(type), normalized, subject})
          : AssociatedData("deterministic-token-reissued",
                           {DataTypeName(type), normalized, subject, EncodeU64(generation)});
  absl::StatusOr<std::string> mac = crypto::Blake2bMac(token_key, ad, kTokenBytes);
  if (!mac.ok()) return mac.status();
  return Cat(kTokenPrefix, crypto::Base64UrlEncode(*mac));
}

absl::StatusOr<std::string> FieldToken(const crypto::SecretBytes& token_key,
                                       std::string_view subject, std::string_view field,
                                       std::string_view dek_id) {
  absl::StatusOr<std::string> mac = crypto::Blake2bMac(
      token_key, AssociatedData("field-token", {subject, field, dek_id}), kTokenBytes);
  if (!mac.ok()) return mac.status();
  return Cat(kTokenPrefix, crypto::Base64UrlEncode(*mac));
}

std::string TokenRecordAd(std::string_view tenant, std::string_view fingerprint,
                          std::string_view subject, std::string_view type, std::string_view dek_id,
                          std::string_view format, std::string_view field,
                          int64_t expires_at_unix_ms) {
  return AssociatedData("token", {tenant, fingerprint, subject, type, dek_id, format, field,
                                  EncodeU64(static_cast<uint64_t>(expires_at_unix_ms))});
}

absl::StatusOr<std::string> FormatPreservingToken(DataType type, std::string_view normalized,
                                                  crypto::RandomSource& random) {
  switch (type) {
    case DataType::kBankCard: return CardToken(normalized, random);
    case DataType::kPhone: return PhoneToken(normalized, random);
    default:
      return absl::InvalidArgumentError(
          Cat(DataTypeName(type), ": format_preserving tokens exist only for bank_card and phone"));
  }
}

absl::StatusOr<PhoneTokenBucket> PhoneTokenBucketOf(std::string_view phone) {
  absl::StatusOr<PhoneShape> shape = ShapeOf(phone);
  if (!shape.ok()) return shape.status();
  PhoneTokenBucket bucket;
  bucket.varied_digits = shape->parts.national_number.size() - shape->keep_front - 4;
  bucket.size = 1;
  for (size_t i = 0; i < bucket.varied_digits; ++i) bucket.size *= 10;
  return bucket;
}

absl::StatusOr<std::string> PhoneTokenAt(std::string_view phone, uint64_t index) {
  absl::StatusOr<PhoneShape> shape = ShapeOf(phone);
  if (!shape.ok()) return shape.status();
  std::string out = shape->parts.national_number;
  const size_t varied = out.size() - shape->keep_front - 4;
  for (size_t k = 0; k < varied; ++k) {  // index in decimal, least significant digit last
    out[shape->keep_front + varied - 1 - k] = static_cast<char>('0' + index % 10);
    index /= 10;
  }
  if (index != 0) return absl::InvalidArgumentError("phone: token index out of range");
  return Cat("+", shape->parts.country_code, out);
}

bool LooksLikeToken(std::string_view token) {
  if (token.size() == kTokenPrefix.size() + 22 &&
      token.substr(0, kTokenPrefix.size()) == kTokenPrefix) {
    for (char c : token.substr(kTokenPrefix.size())) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }
  if (token.size() >= 12 && token.size() <= 19 && IsDigits(token)) return true;  // card
  return token.size() >= 9 && token.size() <= 16 && token[0] == '+' &&
         IsDigits(token.substr(1));  // phone
}

absl::StatusOr<std::string> TokenFingerprint(const crypto::SecretBytes& token_key,
                                             std::string_view token) {
  return crypto::Blake2bMac(token_key, AssociatedData("token-fingerprint", {token}), 16);
}

absl::StatusOr<std::string> BlindIndexHash(const crypto::SecretBytes& index_key, DataType type,
                                           std::string_view normalized) {
  return crypto::Blake2bMac(index_key,
                            AssociatedData("blind-index", {DataTypeName(type), normalized}), 32);
}

}  // namespace vault
