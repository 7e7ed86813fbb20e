// Data-type catalog: the personal-data types the vault understands, with validation,
// normalisation, masked and keyed (HMAC) views. Thread-safety: all functions are pure and
// thread-safe. Never logs, and never puts an input value (or any part of it) in an error.
#ifndef VAULT_MODEL_DATA_TYPES_H_
#define VAULT_MODEL_DATA_TYPES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "crypto/secret_bytes.h"
#include "vault/model/reveal.h"

namespace vault {

enum class DataType {
  kPersonName,
  kCnResidentId,
  kPassport,
  kDrivingLicence,
  kPhone,
  kEmail,
  kAddress,
  kBankCard,
  kBankAccount,
  kDateOfBirth,
  kIpAddress,
  kDeviceId,
  kGeneric,
};

// The wire name of `type`: "person_name", "cn_resident_id", "passport", "driving_licence",
// "phone", "email", "address", "bank_card", "bank_account", "date_of_birth", "ip_address",
// "device_id" or "generic".
std::string_view DataTypeName(DataType type);

// The inverse of DataTypeName. INVALID_ARGUMENT "unknown data type" for any other name.
[[nodiscard]] absl::StatusOr<DataType> ParseDataType(std::string_view name);

// Every data type, in declaration order.
const std::vector<DataType>& AllDataTypes();

// True for types whose values can be enumerated from their structure and
// what their masked view shows (at most ~10^10 candidates): phone,
// date_of_birth, cn_resident_id, ip_address, bank_card, bank_account,
// device_id, passport, driving_licence. Free text (person_name, email,
// address, generic) is not: it is guessable from outside knowledge, not
// enumerable. Deterministic tokens of low-entropy types need an opt-in role.
bool IsLowEntropy(DataType type);

// What validation needs from the outside world. Injected so tests never read the real clock.
struct ValidationContext {
  absl::CivilDay today;  // Dates of birth (and the one in a resident ID) may not be after it.
};

// Validates `raw` as a value of `type` and returns its normalised form (what is stored and
// what a `plain` read returns). On failure INVALID_ARGUMENT whose message names the rule broken
// (e.g. "bank_card: fails the Luhn check") and never contains the input or any part of it.
[[nodiscard]] absl::StatusOr<std::string> Normalize(DataType type, std::string_view raw,
                                                    const ValidationContext& ctx);

// The masked view of an already-normalised value. A value that is not in normalised shape
// yields "***" rather than revealing anything.
std::string Mask(DataType type, std::string_view normalized);

// The keyed view: lowercase hex (64 characters) of
// HMAC-SHA-256(key, "vaultd:hashed:v1" + '\0' + DataTypeName(type) + '\0' + normalized).
// Fails only if the key is unusable (shorter than 16 bytes).
[[nodiscard]] absl::StatusOr<std::string> HashedView(DataType type, std::string_view normalized,
                                                     const crypto::SecretBytes& key);

// True if `digits` is at least two ASCII digits and passes the Luhn (mod-10) check.
bool LuhnValid(std::string_view digits);

// The digit that, appended to `digits_without_check`, makes the whole Luhn-valid.
// REQUIRES: `digits_without_check` is all ASCII digits; returns '\0' otherwise.
char LuhnCheckDigit(std::string_view digits_without_check);

// The parts of an E.164 number, digits only (no '+').
struct PhoneParts {
  std::string country_code;
  std::string national_number;
};

// Splits a normalised phone number ("+8613800138000" -> {"86", "13800138000"}).
// INVALID_ARGUMENT if `normalized_phone` is not a valid, already-normalised phone number.
[[nodiscard]] absl::StatusOr<PhoneParts> SplitE164(std::string_view normalized_phone);

// The normalised value at a reveal level: plain, masked, hashed (needs
// `hash_key`) or token_only (empty).
[[nodiscard]] absl::StatusOr<std::string> RevealValue(DataType type, std::string_view normalized,
                                                      RevealLevel reveal,
                                                      const crypto::SecretBytes* hash_key);

}  // namespace vault

#endif  // VAULT_MODEL_DATA_TYPES_H_
